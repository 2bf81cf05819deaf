import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** A team as TEAM_SELECT reads it. */
/** How a team hands out its conversations. */
export const TEAM_STRATEGIES = ['round_robin', 'least_busy', 'manual'] as const;

export const Team = z.object({
  id: z.string(),
  name: z.string(),
  strategy: z.enum(TEAM_STRATEGIES),
  sticky: z.boolean(),
  defaultCapacity: z.number(),
  isDefault: z.boolean(),
  handoffTimeoutSeconds: z.number().nullable(),
  handoffTimeoutMessage: z.string().nullable(),
  autoResolveHours: z.number().nullable(),
  members: z.array(z.object({ userId: z.string(), capacity: z.number().nullable() })),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Team = z.infer<typeof Team>;

export type TeamSettings = Omit<Team, 'id' | 'members' | 'createdAt' | 'updatedAt'>;

const TEAM_SELECT = `
select t.id, t.name, t.strategy, t.sticky, t.default_capacity as "defaultCapacity", t.is_default as "isDefault",
       t.handoff_timeout_seconds as "handoffTimeoutSeconds", t.handoff_timeout_message as "handoffTimeoutMessage",
       t.auto_resolve_hours as "autoResolveHours", t.created_at as "createdAt", t.updated_at as "updatedAt",
       coalesce((select json_agg(json_build_object('userId', tm.user_id, 'capacity', tm.capacity) order by tm.created_at, tm.user_id)
                   from team_members tm where tm.team_id = t.id), '[]'::json) as members
  from teams t`;

const COLUMN_OF: Record<keyof TeamSettings, string> = {
  name: 'name',
  strategy: 'strategy',
  sticky: 'sticky',
  defaultCapacity: 'default_capacity',
  isDefault: 'is_default',
  handoffTimeoutSeconds: 'handoff_timeout_seconds',
  handoffTimeoutMessage: 'handoff_timeout_message',
  autoResolveHours: 'auto_resolve_hours',
};

const MemberRow = z.object({ userId: z.string() });
const CountRow = z.object({ n: z.number() });

/** Teams of a workspace, their members and settings. SQL of the `teams` and `team_members` tables lives here. */
export const teamStore = {
  async list(em: EntityManager, workspaceId: string): Promise<Team[]> {
    const { rows } = await runSql(
      em,
      `${TEAM_SELECT} where t.workspace_id = :workspaceId order by t.name, t.id`,
      { workspaceId },
      { row: Team },
    );
    return rows;
  },

  async get(em: EntityManager, workspaceId: string, id: string): Promise<Team> {
    const { rows } = await runSql(
      em,
      `${TEAM_SELECT} where t.workspace_id = :workspaceId and t.id = :id`,
      { workspaceId, id },
      { row: Team },
    );
    if (!rows[0]) throw new NotFoundError('team', id);
    return rows[0];
  },

  async create(
    em: EntityManager,
    workspaceId: string,
    settings: TeamSettings,
    members: { userId: string; capacity?: number | null | undefined }[],
    now: Date,
  ): Promise<string> {
    const id = newId();
    if (settings.isDefault)
      await runSql(em, `update teams set is_default = false, updated_at = :now where workspace_id = :workspaceId and is_default`, {
        workspaceId,
        now,
      });
    try {
      await runSql(
        em,
        `insert into teams (id, workspace_id, name, strategy, sticky, default_capacity, is_default, handoff_timeout_seconds, handoff_timeout_message, auto_resolve_hours, created_at, updated_at)
         values (:id, :workspaceId, :name, :strategy, :sticky, :defaultCapacity, :isDefault, cast(:handoffTimeoutSeconds as int), cast(:handoffTimeoutMessage as text), cast(:autoResolveHours as int), :now, :now)`,
        { id, workspaceId, ...settings, now },
      );
    } catch (err) {
      throw nameTaken(err, settings.name);
    }
    await this.setMembers(em, workspaceId, id, members);
    return id;
  },

  async update(em: EntityManager, workspaceId: string, id: string, patch: Partial<TeamSettings>, now: Date): Promise<void> {
    await this.get(em, workspaceId, id);
    if (patch.isDefault)
      await runSql(
        em,
        `update teams set is_default = false, updated_at = :now where workspace_id = :workspaceId and is_default and id <> :id`,
        { workspaceId, id, now },
      );
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof TeamSettings, unknown][];
    if (entries.length === 0) return;
    // Column names come from the fixed table above, never from the request.
    const sets = entries.map(([key]) => `${COLUMN_OF[key]} = :${key}`).join(', ');
    try {
      await runSql(
        em,
        `update teams set ${sets}, updated_at = :now where workspace_id = :workspaceId and id = :id`,
        { ...Object.fromEntries(entries), workspaceId, id, now },
        { planEachCall: true },
      );
    } catch (err) {
      throw nameTaken(err, String(patch.name));
    }
  },

  /** Replaces the team's members; each must be a member of the workspace. */
  async setMembers(
    em: EntityManager,
    workspaceId: string,
    teamId: string,
    members: { userId: string; capacity?: number | null | undefined }[],
  ): Promise<void> {
    const ids = [...new Set(members.map((m) => m.userId))];
    if (ids.length !== members.length) throw new ValidationError('a person is listed twice in the team');
    if (ids.length > 0) {
      const { rows } = await runSql(
        em,
        `select user_id as "userId" from memberships where workspace_id = :workspaceId and user_id = any(cast(:ids as uuid[]))`,
        { workspaceId, ids },
        { row: MemberRow },
      );
      const known = new Set(rows.map((r) => r.userId));
      const unknown = ids.filter((u) => !known.has(u));
      if (unknown.length)
        throw new ValidationError('only members of this workspace can join its teams', {
          details: unknown.map((u) => ({ path: 'members', message: `${u} is not a member of this workspace` })),
        });
    }
    await runSql(em, `delete from team_members where team_id = :teamId and not (user_id = any(cast(:ids as uuid[])))`, { teamId, ids });
    if (ids.length > 0) {
      await runSql(
        em,
        `insert into team_members (team_id, workspace_id, user_id, capacity)
         select :teamId, :workspaceId, m.user_id, m.capacity from jsonb_to_recordset(cast(:members as jsonb)) as m(user_id uuid, capacity int)
         on conflict (team_id, user_id) do update set capacity = excluded.capacity`,
        { teamId, workspaceId, members: JSON.stringify(members.map((m) => ({ user_id: m.userId, capacity: m.capacity ?? null }))) },
      );
      await runSql(
        em,
        `insert into agent_status (workspace_id, user_id) select :workspaceId, unnest(cast(:ids as uuid[])) on conflict do nothing`,
        { workspaceId, ids },
      );
    }
  },

  async delete(em: EntityManager, workspaceId: string, id: string): Promise<Team> {
    const team = await this.get(em, workspaceId, id);
    const { rows } = await runSql(
      em,
      `select count(*)::int as n from conversations where team_id = :id and state in ('queued', 'assigned', 'snoozed')`,
      { id },
      { row: CountRow },
    );
    if (rows[0]!.n > 0)
      throw new ConflictError(`the team still has ${rows[0]!.n} open conversations: transfer or resolve them first`, {
        details: { openConversations: rows[0]!.n },
      });
    await runSql(em, `delete from teams where workspace_id = :workspaceId and id = :id`, { workspaceId, id });
    return team;
  },
};

function nameTaken(err: unknown, name: string): unknown {
  if ((err as { code?: string }).code === '23505') return new ConflictError(`a team named "${name}" exists already`);
  return err;
}
