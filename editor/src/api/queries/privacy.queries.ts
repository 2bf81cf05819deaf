import { useQuery } from '@tanstack/react-query';
import { useSession } from '../../session/session-context.tsx';

export interface RetentionKindPolicy {
  kind: string;
  label: string;
  days: number | null;
  defaultDays: number | null;
}
export interface RetentionPolicy {
  policy: Record<string, number | null>;
  kinds: RetentionKindPolicy[];
  schedule: { cron: string; timezone: string };
  updatedAt: string | null;
}
export interface RetentionPreview {
  workspaceHold: boolean;
  kinds: { kind: string; label: string; days: number | null; cutoff: string | null; rows: number; bytes: number }[];
}
export interface SweepKind {
  kind: string;
  label: string;
  status: 'kept' | 'skipped' | 'pending' | 'running' | 'done';
  total: number;
  deleted: number;
  bytes: number;
  files: number;
  percent: number;
}
export interface Sweep {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  dryRun: boolean;
  trigger: 'schedule' | 'api' | 'cli';
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  kinds: SweepKind[];
}
export interface LegalHold {
  id: string;
  scope: 'workspace' | 'contact' | 'conversation';
  contactId: string | null;
  conversationId: string | null;
  reason: string;
  active: boolean;
  createdAt: string;
  releasedAt: string | null;
}
export interface ContactExport {
  id: string;
  contactId: string;
  status: 'queued' | 'running' | 'ready' | 'failed' | 'expired';
  progress: number;
  expiresAt: string | null;
  downloadPath: string | null;
  createdAt: string;
}
export interface PrivacyContact {
  id: string;
  phone: string | null;
  name: string | null;
  optedOut: boolean;
  restricted: boolean;
  legalHold: boolean;
  createdAt: string;
}

export const privacyKeys = {
  policy: ['retention', 'policy'] as const,
  preview: ['retention', 'preview'] as const,
  sweeps: ['retention', 'sweeps'] as const,
  holds: ['legal-holds'] as const,
  contact: (id: string) => ['contacts', id] as const,
  exports: (contactId: string) => ['exports', contactId] as const,
  consent: (contactId: string) => ['contacts', contactId, 'consent'] as const,
};

export function useRetentionPolicy() {
  const { api } = useSession();
  return useQuery({ queryKey: privacyKeys.policy, queryFn: ({ signal }) => api.get<RetentionPolicy>('/retention/policy', signal) });
}

export function useRetentionPreview() {
  const { api } = useSession();
  return useQuery({ queryKey: privacyKeys.preview, queryFn: ({ signal }) => api.get<RetentionPreview>('/retention/preview', signal) });
}

/** Sweeps, polled every 2 s while one is queued or running (its progress bars move). */
export function useSweeps() {
  const { api } = useSession();
  return useQuery({
    queryKey: privacyKeys.sweeps,
    queryFn: ({ signal }) => api.get<{ items: Sweep[] }>('/retention/sweeps', signal).then((p) => p.items),
    refetchInterval: (query) => (query.state.data?.some((s) => s.status === 'queued' || s.status === 'running') ? 2_000 : false),
  });
}

export function useLegalHolds() {
  const { api } = useSession();
  return useQuery({ queryKey: privacyKeys.holds, queryFn: ({ signal }) => api.get<{ items: LegalHold[] }>('/legal-holds', signal).then((p) => p.items) });
}

export function usePrivacyContact(contactId: string) {
  const { api } = useSession();
  return useQuery({ queryKey: privacyKeys.contact(contactId), queryFn: ({ signal }) => api.get<PrivacyContact>(`/contacts/${contactId}`, signal) });
}

/** A contact's exports, polled every second while one is being built. */
export function useContactExports(contactId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: privacyKeys.exports(contactId),
    queryFn: ({ signal }) => api.get<{ items: ContactExport[] }>(`/exports?contactId=${contactId}`, signal).then((p) => p.items),
    refetchInterval: (query) => (query.state.data?.some((e) => e.status === 'queued' || e.status === 'running') ? 1_000 : false),
  });
}

export function useConsentHistory(contactId: string) {
  const { api } = useSession();
  return useQuery({ queryKey: privacyKeys.consent(contactId), queryFn: ({ signal }) => api.get<{ items: { action: string; source: string; at: string }[] }>(`/contacts/${contactId}/consent`, signal).then((p) => p.items) });
}
