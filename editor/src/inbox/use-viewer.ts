import { useCallback, useMemo } from 'react';
import { can, type Role } from '../../../engine/tenancy/role.ts';
import { useMembers } from '../api/queries/contacts.queries.ts';
import { useMe } from '../api/queries/session.queries.ts';
import { useTeams } from '../api/queries/teams.queries.ts';
import type { ViewerContext } from './conversation-view.tsx';

/** Who is looking at the inbox: their user id, whether they supervise, the teams, and people's names. */
export function useViewer(): ViewerContext & { seesAll: boolean; works: boolean; ready: boolean } {
  const me = useMe().data;
  const members = useMembers().data?.items;
  const teams = useTeams().data?.items;
  const role = (me?.role ?? 'agent') as Role;
  const names = useMemo(() => new Map((members ?? []).map((m) => [m.userId, m.name || m.email])), [members]);
  const myUserId = me?.user?.id ?? null;
  const nameOf = useCallback(
    (userId: string | null) => (userId === null ? 'Someone' : userId === myUserId ? 'you' : (names.get(userId) ?? 'a former member')),
    [names, myUserId],
  );
  return {
    myUserId,
    supervisor: can(role, 'inbox.supervise'),
    seesAll: can(role, 'conversations.read_all'),
    works: can(role, 'inbox.work'),
    teams: teams ?? [],
    nameOf,
    ready: me !== undefined,
  };
}
