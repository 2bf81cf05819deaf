import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import type { DashboardDto, FlowAnalyticsDto } from '../../../../api/routes/analytics.routes.ts';
import { useSession } from '../../session/session-context.tsx';

export type FlowAnalytics = z.infer<typeof FlowAnalyticsDto>;
export type DashboardData = z.infer<typeof DashboardDto>;

export const analyticsKeys = {
  flow: (flowId: string, lastRuns: number) => ['flow-analytics', flowId, lastRuns] as const,
  dashboard: (days: number) => ['dashboard', days] as const,
};

/** Per-node counts of a flow's last `lastRuns` runs, asked only while the overlay is on (`enabled`), refreshed every 10 s. */
export function useFlowAnalytics(flowId: string, lastRuns: number, enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: analyticsKeys.flow(flowId, lastRuns),
    queryFn: ({ signal }) => api.get<FlowAnalytics>(`/flows/${flowId}/analytics?lastRuns=${lastRuns}`, signal),
    enabled,
    refetchInterval: 10_000,
    placeholderData: keepPreviousData,
  });
}

export function useDashboard(days: number) {
  const { api } = useSession();
  return useQuery({ queryKey: analyticsKeys.dashboard(days), queryFn: ({ signal }) => api.get<DashboardData>(`/analytics/dashboard?days=${days}`, signal), placeholderData: keepPreviousData });
}
