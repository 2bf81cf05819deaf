import { useQuery } from '@tanstack/react-query';
import type { RoutingRule, Team, TeamInput } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';
import { useApiMutation } from '../use-api-mutation.ts';

export const teamKeys = { teams: ['teams'] as const, routingRules: ['routing-rules'] as const };

/** The workspace's support teams (every role reads them: agents see their teams' names). */
export function useTeams() {
  const { api } = useSession();
  return useQuery({ queryKey: teamKeys.teams, queryFn: ({ signal }) => api.get<{ items: Team[] }>('/teams', signal), staleTime: 60_000 });
}

export function useCreateTeam() {
  return useApiMutation((api, team: TeamInput) => api.post<Team>('/teams', team), {
    invalidates: [teamKeys.teams, ['inbox']],
    success: (t) => `Team ${t.name} created.`,
  });
}

/** Saves a team's settings, then its members (two calls of the API: settings and the member list). */
export function useUpdateTeam() {
  return useApiMutation(
    async (api, { id, team }: { id: string; team: TeamInput }) => {
      const { members, ...settings } = team;
      await api.patch<Team>(`/teams/${id}`, settings);
      return api.put<Team>(`/teams/${id}/members`, { members });
    },
    { invalidates: [teamKeys.teams, ['inbox']], success: (t) => `Team ${t.name} saved.` },
  );
}

export function useDeleteTeam() {
  return useApiMutation((api, team: Team) => api.delete(`/teams/${team.id}`), {
    invalidates: [teamKeys.teams, teamKeys.routingRules, ['inbox']],
    success: (_r, t) => `Team ${t.name} deleted.`,
  });
}

export function useRoutingRules() {
  const { api } = useSession();
  return useQuery({
    queryKey: teamKeys.routingRules,
    queryFn: ({ signal }) => api.get<{ items: RoutingRule[] }>('/routing-rules', signal),
  });
}

export type RoutingRuleInput = Pick<RoutingRule, 'name' | 'condition' | 'teamId' | 'enabled'> & { position?: number };

export function useSaveRoutingRule() {
  return useApiMutation(
    (api, { id, rule }: { id: string | null; rule: Partial<RoutingRuleInput> }) =>
      id ? api.patch<RoutingRule>(`/routing-rules/${id}`, rule) : api.post<RoutingRule>('/routing-rules', rule),
    {
      invalidates: [teamKeys.routingRules],
      success: (r) => `Rule “${r.name}” saved.`,
    },
  );
}

/** Moves a rule without a notification (reordering saves two rules at once). */
export function useMoveRoutingRule() {
  return useApiMutation(
    (api, { id, position }: { id: string; position: number }) => api.patch<RoutingRule>(`/routing-rules/${id}`, { position }),
    { invalidates: [teamKeys.routingRules] },
  );
}

export function useDeleteRoutingRule() {
  return useApiMutation((api, rule: RoutingRule) => api.delete(`/routing-rules/${rule.id}`), {
    invalidates: [teamKeys.routingRules],
    success: (_r, rule) => `Rule “${rule.name}” deleted.`,
  });
}
