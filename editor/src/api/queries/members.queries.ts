import { useQuery } from '@tanstack/react-query';
import type { Member, PendingInvitation, Secret } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';

export const memberKeys = {
  all: ['members'] as const,
  invitations: ['invitations'] as const,
};
export const secretKeys = { all: ['secrets'] as const };

export function useMembers() {
  const { api } = useSession();
  return useQuery({
    queryKey: memberKeys.all,
    queryFn: ({ signal }) => api.get<{ items: Member[] }>('/members', signal).then((p) => p.items),
  });
}

/** Pending invitations: asked only of a role that may manage members (`enabled`). */
export function useInvitations(enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: memberKeys.invitations,
    queryFn: ({ signal }) => api.get<{ items: PendingInvitation[] }>('/invitations', signal).then((p) => p.items),
    enabled,
  });
}

/** The workspace's secrets (names and last 4 characters only): asked only of a role that may read them. */
export function useSecrets(enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: secretKeys.all,
    queryFn: ({ signal }) => api.get<{ items: Secret[] }>('/secrets', signal).then((p) => p.items),
    enabled,
  });
}
