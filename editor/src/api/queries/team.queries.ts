import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { ApiKeyDto, CreatedApiKeyDto } from '../../../../api/dto/api-key.dto.ts';
import type { AuditEntryDto } from '../../../../api/dto/audit.dto.ts';
import type { WorkspaceSettingsDto } from '../../../../api/dto/workspace.dto.ts';
import type { z } from 'zod';
import { useSession } from '../../session/session-context.tsx';
import type { AuditActions, Page } from '../api-types.ts';

export type ApiKey = z.infer<typeof ApiKeyDto>;
export type CreatedApiKey = z.infer<typeof CreatedApiKeyDto>;
export type WorkspaceSettings = z.infer<typeof WorkspaceSettingsDto>;

/** One line of the audit log, as GET /audit-log answers it. */
export type AuditEntry = z.infer<typeof AuditEntryDto>;

/** What the audit log page filters by (absent: any). */
export interface AuditFilter {
  actorId?: string;
  action?: string;
  /** ISO instants; `to` exclusive. */
  from?: string;
  to?: string;
}

export const teamKeys = {
  apiKeys: ['api-keys'] as const,
  workspace: ['workspace'] as const,
  audit: (filter: AuditFilter) => ['audit-log', filter] as const,
  auditAll: ['audit-log'] as const,
  auditActions: ['audit-log', 'actions'] as const,
};

export function useApiKeys() {
  const { api } = useSession();
  return useQuery({
    queryKey: teamKeys.apiKeys,
    queryFn: ({ signal }) => api.get<{ items: ApiKey[] }>('/api-keys', signal).then((p) => p.items),
  });
}

export function useWorkspaceSettings() {
  const { api } = useSession();
  return useQuery({ queryKey: teamKeys.workspace, queryFn: ({ signal }) => api.get<WorkspaceSettings>('/workspace', signal) });
}

/** The filter as a query string (also the CSV export's). */
export function auditQueryString(filter: AuditFilter): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  return params.toString();
}

/** The audit log, newest first, 50 at a time ("Show more"). */
export function useAuditLog(filter: AuditFilter) {
  const { api } = useSession();
  return useInfiniteQuery({
    queryKey: teamKeys.audit(filter),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => {
      const qs = auditQueryString(filter);
      const cursor = pageParam ? `${qs ? '&' : ''}cursor=${encodeURIComponent(pageParam)}` : '';
      return api.get<Page<AuditEntry>>(`/audit-log?${qs}${cursor}`, signal);
    },
    getNextPageParam: (last) => last.nextCursor,
  });
}

export function useAuditActions() {
  const { api } = useSession();
  return useQuery({
    queryKey: teamKeys.auditActions,
    queryFn: ({ signal }) => api.get<AuditActions>('/audit-log/actions', signal).then((p) => p.items),
  });
}
