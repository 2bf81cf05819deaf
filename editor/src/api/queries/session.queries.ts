import { useQuery } from '@tanstack/react-query';
import type { MeAnswer } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';

export const meKey = ['me'] as const;

/** The caller, the current workspace and its role, and every workspace the user belongs to. */
export function useMe() {
  const { api, status } = useSession();
  return useQuery({
    queryKey: meKey,
    queryFn: ({ signal }) => api.get<MeAnswer>('/auth/me', signal),
    enabled: status === 'signed-in',
    staleTime: 60_000,
  });
}
