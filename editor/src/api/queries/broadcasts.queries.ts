import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type {
  Broadcast,
  BroadcastComparison,
  BroadcastEngagementAnswer,
  BroadcastRecipient,
  BroadcastTimeline,
  Page,
} from '../api-types.ts';
import { FINAL_BROADCAST_STATES } from '../../../../engine/broadcasts/broadcast-state.ts';
import type { RecipientStatus } from '../../../../engine/broadcasts/broadcast-state.ts';
import { pollIntervalMs } from '../../broadcasts/broadcast-polling.ts';
import { useSession } from '../../session/session-context.tsx';

export const broadcastKeys = {
  all: ['broadcasts'] as const,
  list: () => [...broadcastKeys.all, 'list'] as const,
  occurrences: (parentId: string) => [...broadcastKeys.all, 'occurrences', parentId] as const,
  one: (id: string) => [...broadcastKeys.all, 'one', id] as const,
  timeline: (id: string) => [...broadcastKeys.all, 'one', id, 'timeline'] as const,
  engagement: (id: string) => [...broadcastKeys.all, 'one', id, 'engagement'] as const,
  comparison: (limit: number) => [...broadcastKeys.all, 'comparison', limit] as const,
  recipients: (id: string, status: string, version: string) => [...broadcastKeys.all, 'one', id, 'recipients', status, version] as const,
};

/** Broadcasts per page of the list. */
const PAGE_SIZE = 50;
/** While any listed broadcast is on its way, the list is asked again this often. */
const LIST_POLL_MS = 3_000;
/** The delivery chart reads every message of the broadcast: redrawn this often while it is live. */
const TIMELINE_POLL_MS = 5_000;
/** A recurring broadcast's next occurrence may start at any time: its list is asked again this often. */
const OCCURRENCES_POLL_MS = 10_000;
const OCCURRENCES_SHOWN = 20;
/** Replies and opt-outs come in for days after a broadcast: its rates are asked again this often while the page is open. */
const ENGAGEMENT_POLL_MS = 30_000;

const isLive = (b: Broadcast) => b.state !== 'draft' && !FINAL_BROADCAST_STATES.has(b.state);

/** The workspace's broadcasts, newest first, a page at a time ("Show more"); refreshed while one is on its way. */
export function useBroadcasts() {
  const { api } = useSession();
  return useInfiniteQuery({
    queryKey: broadcastKeys.list(),
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Broadcast>>(`/broadcasts?limit=${PAGE_SIZE}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: (query) => (query.state.data?.pages.some((p) => p.items.some(isLive)) ? LIST_POLL_MS : false),
  });
}

/** One broadcast, asked every second while it is live and every few seconds while its late reports arrive (`pollIntervalMs`). */
export function useBroadcast(id: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: broadcastKeys.one(id),
    queryFn: ({ signal }) => api.get<Broadcast>(`/broadcasts/${id}`, signal),
    refetchInterval: (query) => (query.state.data ? (pollIntervalMs(query.state.data, Date.now()) ?? false) : false),
  });
}

/** The delivery chart's counts over time, asked again while the broadcast is polled. */
export function useBroadcastTimeline(id: string, polling: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: broadcastKeys.timeline(id),
    queryFn: ({ signal }) => api.get<BroadcastTimeline>(`/broadcasts/${id}/timeline`, signal),
    refetchInterval: polling ? TIMELINE_POLL_MS : false,
  });
}

/**
 * The broadcast's recipients with a status, a page at a time. `version` changes when the
 * broadcast's counts do: the first page is then asked again (the rows shown stay until it answers).
 */
export function useBroadcastRecipients(id: string, status: RecipientStatus | '', version: string) {
  const { api } = useSession();
  return useInfiniteQuery({
    queryKey: broadcastKeys.recipients(id, status, version),
    queryFn: ({ pageParam, signal }) => {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (status) query.set('status', status);
      if (pageParam) query.set('cursor', pageParam);
      return api.get<Page<BroadcastRecipient>>(`/broadcasts/${id}/recipients?${query}`, signal);
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
}

/** The occurrences of a recurring broadcast, newest first. */
export function useOccurrences(parentId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: broadcastKeys.occurrences(parentId),
    queryFn: ({ signal }) =>
      api.get<Page<Broadcast>>(`/broadcasts?parentId=${parentId}&limit=${OCCURRENCES_SHOWN}`, signal).then((p) => p.items),
    refetchInterval: OCCURRENCES_POLL_MS,
  });
}

/** A broadcast's reply and opt-out rates, with the sentences that define them. */
export function useBroadcastEngagement(id: string, enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: broadcastKeys.engagement(id),
    queryFn: ({ signal }) => api.get<BroadcastEngagementAnswer>(`/broadcasts/${id}/engagement`, signal),
    enabled,
    refetchInterval: ENGAGEMENT_POLL_MS,
  });
}

/** The most recently started broadcasts side by side (numbers and rates). */
export function useBroadcastComparison(limit: number) {
  const { api } = useSession();
  return useQuery({
    queryKey: broadcastKeys.comparison(limit),
    queryFn: ({ signal }) => api.get<BroadcastComparison>(`/analytics/broadcasts?limit=${limit}`, signal),
    refetchInterval: ENGAGEMENT_POLL_MS,
  });
}
