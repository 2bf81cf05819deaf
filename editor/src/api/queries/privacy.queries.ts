import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import type {
  ConsentEventDto,
  ExportDto,
  LegalHoldDto,
  RetentionPolicyDto,
  RetentionPreviewDto,
  SweepDto,
} from '../../../../api/dto/privacy.dto.ts';
import type { Contact } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';

/** The answers of the privacy routes, inferred from their zod schemas (api/dto/privacy.dto.ts, contact.dto.ts). */
export type RetentionPolicy = z.infer<typeof RetentionPolicyDto>;
export type RetentionPreview = z.infer<typeof RetentionPreviewDto>;
export type Sweep = z.infer<typeof SweepDto>;
export type LegalHold = z.infer<typeof LegalHoldDto>;
export type ContactExport = z.infer<typeof ExportDto>;
export type ConsentEvent = z.infer<typeof ConsentEventDto>;

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
  return useQuery({
    queryKey: privacyKeys.holds,
    queryFn: ({ signal }) => api.get<{ items: LegalHold[] }>('/legal-holds', signal).then((p) => p.items),
  });
}

export function usePrivacyContact(contactId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: privacyKeys.contact(contactId),
    queryFn: ({ signal }) => api.get<Contact>(`/contacts/${contactId}`, signal),
  });
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
  return useQuery({
    queryKey: privacyKeys.consent(contactId),
    queryFn: ({ signal }) => api.get<{ items: ConsentEvent[] }>(`/contacts/${contactId}/consent`, signal).then((p) => p.items),
  });
}
