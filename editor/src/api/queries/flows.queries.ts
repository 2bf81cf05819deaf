import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import type { TriggerOverlapDto } from '../../../../api/dto/flow.dto.ts';
import type { FlowDetail, FlowListItem, FlowVersion, FlowVersionDetail, Message, Page, RunDetail, RunSummary } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';
import { takePrefetchedFlow } from '../prefetch.ts';

export type TriggerOverlap = z.infer<typeof TriggerOverlapDto>;

/**
 * Query keys of flows: the list, and per flow its versions, runs and trigger overlaps (the
 * flow editor loads and saves the document itself: its draft saver is a write queue).
 */
export const flowKeys = {
  all: ['flows'] as const,
  list: () => [...flowKeys.all, 'list'] as const,
  one: (flowId: string) => [...flowKeys.all, flowId] as const,
  detail: (flowId: string) => [...flowKeys.one(flowId), 'detail'] as const,
  versions: (flowId: string) => [...flowKeys.one(flowId), 'versions'] as const,
  version: (flowId: string, version: number) => [...flowKeys.versions(flowId), version] as const,
  runs: (flowId: string) => [...flowKeys.one(flowId), 'runs'] as const,
  overlaps: (flowId: string) => [...flowKeys.one(flowId), 'trigger-overlaps'] as const,
};

/** One run (its steps), and the messages of one conversation (the test chat). */
export const runKeys = { one: (runId: string) => ['runs', runId] as const };
export const conversationKeys = { messages: (conversationId: string) => ['conversations', conversationId, 'messages'] as const };

/** Flows shown in the list and offered by pickers (a broadcast's flow): the first 200. */
const FLOW_LIST_LIMIT = 200;
/** How many recent runs the runs panel shows and the per-node counts cover. */
export const RECENT_RUNS = 20;
/** The runs list follows new runs while it is shown (a test chat message, a real contact). */
const RUNS_REFRESH_MS = 2_000;
/** The test chat follows the bot's answers this often while a conversation is open. */
const CHAT_REFRESH_MS = 700;

export function useFlows() {
  const { api } = useSession();
  return useQuery({
    queryKey: flowKeys.list(),
    queryFn: ({ signal }) => api.get<Page<FlowListItem>>(`/flows?limit=${FLOW_LIST_LIMIT}`, signal).then((p) => p.items),
  });
}

/**
 * The flow the editor opens, read once (the one index.html started loading, when it is this
 * one): from then on the editor owns the document, so it is never refetched behind its back.
 */
export function useFlowDetail(flowId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: flowKeys.detail(flowId),
    queryFn: ({ signal }) => takePrefetchedFlow(flowId).then((prefetched) => prefetched ?? api.get<FlowDetail>(`/flows/${flowId}`, signal)),
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
    retry: false,
  });
}

/** The flow's published versions, newest first. */
export function useFlowVersions(flowId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: flowKeys.versions(flowId),
    queryFn: ({ signal }) => api.get<Page<FlowVersion>>(`/flows/${flowId}/versions?limit=50`, signal).then((p) => p.items),
  });
}

/** The query of one published version's document (versions never change: cached for good). */
export function useFlowVersion(flowId: string, version: number | null) {
  const { api } = useSession();
  return useQuery({ ...flowVersionQuery(api, flowId, version ?? 0), enabled: version !== null });
}

export function flowVersionQuery(api: ReturnType<typeof useSession>['api'], flowId: string, version: number) {
  return {
    queryKey: flowKeys.version(flowId, version),
    queryFn: () => api.get<FlowVersionDetail>(`/flows/${flowId}/versions/${version}`),
    staleTime: Infinity,
  };
}

/** The flow's recent runs, refetched every 2 s while shown; `limit` is how many. */
export function useFlowRuns(flowId: string, options: { limit?: number; refetchInterval?: number | false; enabled?: boolean } = {}) {
  const { api } = useSession();
  const limit = options.limit ?? RECENT_RUNS;
  return useQuery({
    queryKey: [...flowKeys.runs(flowId), limit],
    queryFn: ({ signal }) => api.get<Page<RunSummary>>(`/flows/${flowId}/runs?limit=${limit}`, signal).then((p) => p.items),
    refetchInterval: options.refetchInterval ?? RUNS_REFRESH_MS,
    enabled: options.enabled ?? true,
  });
}

/** The query of one run with its steps. */
export function runQuery(api: ReturnType<typeof useSession>['api'], runId: string) {
  return { queryKey: runKeys.one(runId), queryFn: () => api.get<RunDetail>(`/runs/${runId}`) };
}

/** One run with its steps; nothing while `runId` is null. */
export function useRun(runId: string | null) {
  const { api } = useSession();
  return useQuery({ ...runQuery(api, runId ?? ''), enabled: runId !== null });
}

/** The other active flows that answer some of the same messages as this one. */
export function useTriggerOverlaps(flowId: string, enabled: boolean, beforeFetch: () => Promise<unknown>) {
  const { api } = useSession();
  return useQuery({
    queryKey: flowKeys.overlaps(flowId),
    queryFn: async ({ signal }) => {
      // The server compares the draft it has: the edits of the last moments are saved first.
      await beforeFetch();
      return (await api.get<{ items: TriggerOverlap[] }>(`/flows/${flowId}/trigger-overlaps`, signal)).items;
    },
    enabled,
    staleTime: 0,
    gcTime: 0,
  });
}

/** The messages of a conversation in the order they happened, followed live; nothing while `conversationId` is null. */
export function useConversationMessages(conversationId: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: conversationKeys.messages(conversationId ?? ''),
    queryFn: ({ signal }) =>
      api
        .get<Page<Message>>(`/conversations/${conversationId}/messages?limit=200`, signal)
        .then((page) =>
          [...page.items].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1)),
        ),
    enabled: conversationId !== null,
    refetchInterval: CHAT_REFRESH_MS,
  });
}
