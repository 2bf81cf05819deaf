import { useQuery } from '@tanstack/react-query';
import type { FlowDetail, Member } from '../api-types.ts';
import type { Contact } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';

export const contactKeys = {
  contact: (id: string) => ['contact', id] as const,
  members: ['members'] as const,
  flow: (id: string) => ['flow', id] as const,
};

/** One contact: name, phone, attributes, tags, opt-out. */
export function useContact(id: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: contactKeys.contact(id ?? ''),
    queryFn: ({ signal }) => api.get<Contact>(`/contacts/${id}`, signal),
    enabled: id !== null,
    staleTime: 60_000,
  });
}

/** The workspace's members, to name agents and authors by their name. */
export function useMembers() {
  const { api } = useSession();
  return useQuery({
    queryKey: contactKeys.members,
    queryFn: ({ signal }) => api.get<{ items: Member[] }>('/members', signal),
    staleTime: 5 * 60_000,
  });
}

/** A flow's name, for the run that led a conversation to the inbox. */
export function useFlowName(id: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: contactKeys.flow(id ?? ''),
    queryFn: ({ signal }) => api.get<FlowDetail>(`/flows/${id}`, signal),
    enabled: id !== null,
    staleTime: 5 * 60_000,
    select: (f) => f.name,
  });
}
