import { useQuery } from '@tanstack/react-query';
import type { FlowListItem, Page } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';

/** Query keys of flows: the list, and one flow (the flow editor loads its own document). */
export const flowKeys = {
  all: ['flows'] as const,
  list: () => [...flowKeys.all, 'list'] as const,
};

/** Flows shown in the list and offered by pickers (a broadcast's flow): the first 200. */
const FLOW_LIST_LIMIT = 200;

export function useFlows() {
  const { api } = useSession();
  return useQuery({ queryKey: flowKeys.list(), queryFn: ({ signal }) => api.get<Page<FlowListItem>>(`/flows?limit=${FLOW_LIST_LIMIT}`, signal).then((p) => p.items) });
}
