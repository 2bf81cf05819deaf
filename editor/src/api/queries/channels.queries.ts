import { useQuery } from '@tanstack/react-query';
import type { Channel } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';

export const channelKeys = {
  all: ['channels'] as const,
  list: () => [...channelKeys.all, 'list'] as const,
};

/** The workspace's channels. While one is connecting, the list is asked again every few seconds. */
export function useChannels({ pollMs }: { pollMs?: number } = {}) {
  const { api } = useSession();
  return useQuery({
    queryKey: channelKeys.list(),
    queryFn: ({ signal }) => api.get<{ items: Channel[] }>('/channels', signal).then((p) => p.items),
    refetchInterval: pollMs ?? false,
  });
}
