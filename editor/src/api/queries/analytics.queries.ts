import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import type { DashboardDto, FlowAnalyticsDto } from '../../../../api/routes/analytics.routes.ts';
import { useSession } from '../../session/session-context.tsx';

export type FlowAnalytics = z.infer<typeof FlowAnalyticsDto>;
export type DashboardData = z.infer<typeof DashboardDto>;

/** The runs counted: the last `lastRuns`, started within [from, to) when given (ISO instants). */
export interface RunWindowQuery {
  lastRuns: number;
  from?: string;
  to?: string;
}

export const analyticsKeys = {
  flow: (flowId: string, window: RunWindowQuery) =>
    ['flow-analytics', flowId, window.lastRuns, window.from ?? null, window.to ?? null] as const,
  dashboard: (days: number) => ['dashboard', days] as const,
};

/** Per-node counts of a flow's runs in a window, asked only while the overlay is on (`enabled`), refreshed every 10 s. */
export function useFlowAnalytics(flowId: string, window: RunWindowQuery, enabled: boolean) {
  const { api } = useSession();
  const params = new URLSearchParams({ lastRuns: String(window.lastRuns) });
  if (window.from) params.set('from', window.from);
  if (window.to) params.set('to', window.to);
  return useQuery({
    queryKey: analyticsKeys.flow(flowId, window),
    queryFn: ({ signal }) => api.get<FlowAnalytics>(`/flows/${flowId}/analytics?${params}`, signal),
    enabled,
    refetchInterval: 10_000,
    placeholderData: keepPreviousData,
  });
}

export function useDashboard(days: number) {
  const { api } = useSession();
  return useQuery({
    queryKey: analyticsKeys.dashboard(days),
    queryFn: ({ signal }) => api.get<DashboardData>(`/analytics/dashboard?days=${days}`, signal),
    placeholderData: keepPreviousData,
  });
}
