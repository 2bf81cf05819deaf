import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import {
  botPausedInState,
  canTransition,
  CONVERSATION_STATES,
  statusOfState,
  type ConversationState,
  type ConversationTransition,
} from '../../engine/conversations/conversation-state.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { InboxActor, InboxAfterCommit } from './inbox-effects.ts';

/** An agent in no team gets at most this many conversations at once. */
export const DEFAULT_AGENT_CAPACITY = 5;

/** A conversation as the inbox moves it, read under its row lock. */
export const ConversationRow = z.object({
  id: z.string(),
  workspaceId: z.string(),
  channelId: z.string(),
  contactId: z.string(),
  state: z.enum(CONVERSATION_STATES),
  assigneeUserId: z.string().nullable(),
  teamId: z.string().nullable(),
  queuedAt: z.date().nullable(),
  snoozedUntil: z.date().nullable(),
  /** When the conversation entered its current state (a wait in the queue started then, when queued). */
  stateChangedAt: z.date(),
});
export type ConversationRow = z.infer<typeof ConversationRow>;

const CONVERSATION_COLUMNS = `id, workspace_id as "workspaceId", channel_id as "channelId", contact_id as "contactId", state,
  assignee_user_id as "assigneeUserId", team_id as "teamId", queued_at as "queuedAt", snoozed_until as "snoozedUntil",
  state_changed_at as "stateChangedAt"`;

/**
 * Locks the conversation's row for the rest of the transaction. Lock order in the inbox: the
 * conversation first, then agent rows (in user id order), the order the engine uses too (a run
 * locks its contact, then writes the conversation); the assigner's statement takes both with
 * SKIP LOCKED, so it never waits on anyone.
 */
export async function lockConversation(em: EntityManager, workspaceId: string, id: string): Promise<ConversationRow> {
  const { rows } = await runSql(
    em,
    `select ${CONVERSATION_COLUMNS} from conversations where id = :id and workspace_id = :workspaceId for update`,
    { id, workspaceId },
    { row: ConversationRow },
  );
  if (!rows[0]) throw new NotFoundError('conversation', id);
  return rows[0];
}

/** Locks the agent's assigned conversations, in id order (the lock order above). */
export async function lockAssignedTo(em: EntityManager, workspaceId: string, userId: string): Promise<ConversationRow[]> {
  const { rows } = await runSql(
    em,
    `select ${CONVERSATION_COLUMNS} from conversations where workspace_id = :workspaceId and assignee_user_id = :userId and state = 'assigned' order by id for update`,
    { workspaceId, userId },
    { row: ConversationRow },
  );
  return rows;
}

export const AGENT_AVAILABILITIES = ['online', 'away', 'offline'] as const;

/** An agent's row, locked: their availability, presence, load and capacity in a team. */
export interface AgentSlot {
  userId: string;
  availability: (typeof AGENT_AVAILABILITIES)[number];
  present: boolean;
  load: number;
  capacity: number;
  /** Member of the team asked about (always true when no team was asked about). */
  inTeam: boolean;
}

/** An agent's row as lockAgents reads it (its presence is computed from `lastSeenAt`). */
const AgentSlotRow = z.object({
  userId: z.string(),
  availability: z.enum(AGENT_AVAILABILITIES),
  lastSeenAt: z.date().nullable(),
  load: z.number(),
  capacity: z.number(),
  inTeam: z.boolean(),
});

/**
 * Locks the agents' rows (creating them for members who never set an availability), in user id
 * order. A user who is not a member of the workspace has no row and is left out.
 */
export async function lockAgents(
  em: EntityManager,
  workspaceId: string,
  userIds: string[],
  opts: { teamId: string | null; now: Date; graceMs: number },
): Promise<Map<string, AgentSlot>> {
  const ids = [...new Set(userIds)].sort();
  if (ids.length === 0) return new Map();
  await runSql(
    em,
    `insert into agent_status (workspace_id, user_id)
     select m.workspace_id, m.user_id from memberships m where m.workspace_id = :workspaceId and m.user_id = any(cast(:ids as uuid[]))
     on conflict do nothing`,
    { workspaceId, ids },
  );
  const { rows } = await runSql(
    em,
    `select a.user_id as "userId", a.availability, a.last_seen_at as "lastSeenAt", a.load,
            coalesce(inteam.capacity,
                     (select max(coalesce(tm.capacity, t.default_capacity)) from team_members tm join teams t on t.id = tm.team_id
                       where tm.workspace_id = a.workspace_id and tm.user_id = a.user_id),
                     cast(:defaultCapacity as int)) as capacity,
            (cast(:teamId as uuid) is null or inteam.capacity is not null) as "inTeam"
       from agent_status a
       left join lateral (select coalesce(tm.capacity, t.default_capacity) as capacity from team_members tm join teams t on t.id = tm.team_id
                           where tm.team_id = cast(:teamId as uuid) and tm.user_id = a.user_id) inteam on true
      where a.workspace_id = :workspaceId and a.user_id = any(cast(:ids as uuid[]))
      order by a.user_id
        for update of a`,
    { workspaceId, ids, teamId: opts.teamId, defaultCapacity: DEFAULT_AGENT_CAPACITY },
    { row: AgentSlotRow },
  );
  const since = opts.now.getTime() - opts.graceMs;
  return new Map(
    rows.map((r) => [
      r.userId,
      {
        userId: r.userId,
        availability: r.availability,
        load: r.load,
        capacity: r.capacity,
        inTeam: r.inTeam,
        present: r.lastSeenAt !== null && r.lastSeenAt.getTime() > since,
      },
    ]),
  );
}

/** Where a move takes the conversation. Fields left out keep their value. */
export interface MoveTarget {
  state: ConversationState;
  assigneeUserId: string | null;
  teamId?: string | null;
  queuedAt?: Date | null;
  snoozedUntil?: Date | null;
  handoffNote?: string | null;
}

export interface MoveContext {
  now: Date;
  actor: InboxActor;
  /** Why, in words shown in the timeline. */
  reason: string;
  detail?: Record<string, unknown>;
  after: InboxAfterCommit;
}

/** The hand-off timeout of the team a move queues the conversation in (none set: null). */
const HandoffTimeoutRow = z.object({ timeoutSeconds: z.number().nullable() });

/**
 * Writes one transition of a locked conversation: the state with the older status and bot pause
 * that follow it, the agents' loads (the old owner's slot freed, the new owner's taken: both
 * rows must be locked by the caller, see lockAgents) and its `conversation_events` row.
 *
 * Every move into the queue starts a new wait: a hand-off, a transfer to the queue, a requeue
 * (agent offline), a snooze ending with its agent away, a reopen. Each wait gets the team's
 * hand-off timeout from its own start (the timer names the wait by `state_changed_at`), not only
 * the first one.
 */
export async function writeMove(
  em: EntityManager,
  row: ConversationRow,
  transition: ConversationTransition,
  to: MoveTarget,
  ctx: MoveContext,
): Promise<ConversationRow> {
  if (!canTransition(row.state, transition))
    throw new ConflictError(`a ${row.state} conversation cannot be moved by ${transition.replace('_', ' ')}`, {
      details: { state: row.state, transition },
    });
  const holdsSlot = (state: ConversationState) => state === 'assigned';
  const fromSlot = holdsSlot(row.state) ? row.assigneeUserId : null;
  const toSlot = holdsSlot(to.state) ? to.assigneeUserId : null;
  const teamId = to.teamId === undefined ? row.teamId : to.teamId;
  const queuedAt = to.queuedAt === undefined ? row.queuedAt : to.queuedAt;
  const snoozedUntil = to.state === 'snoozed' ? (to.snoozedUntil ?? null) : null;
  const eventId = newId();
  const { rows: teamRows } = await runSql(
    em,
    `with moved as (
       update conversations set state = :state, status = :status, bot_paused = :botPaused, assignee_user_id = cast(:assignee as uuid),
              team_id = cast(:teamId as uuid), queued_at = cast(:queuedAt as timestamptz), snoozed_until = cast(:snoozedUntil as timestamptz),
              handoff_note = case when cast(:setNote as boolean) then cast(:note as text) else handoff_note end,
              resolved_at = case when :state = 'resolved' then cast(:now as timestamptz) else null end,
              state_changed_at = :now, updated_at = :now
        where id = :id
       returning id
     ), freed as (
       update agent_status set load = load - 1 where workspace_id = :workspaceId and user_id = cast(:fromSlot as uuid) and cast(:fromSlot as uuid) is distinct from cast(:toSlot as uuid)
     ), taken as (
       update agent_status set load = load + 1 where workspace_id = :workspaceId and user_id = cast(:toSlot as uuid) and cast(:fromSlot as uuid) is distinct from cast(:toSlot as uuid)
     ), ev as (
       insert into conversation_events (id, workspace_id, conversation_id, contact_id, team_id, actor_kind, actor_user_id, from_state, to_state,
                                        from_assignee_user_id, to_assignee_user_id, reason, detail)
       select :eventId, :workspaceId, moved.id, :contactId, cast(:teamId as uuid), :actorKind, cast(:actorUserId as uuid), :fromState, :state,
              cast(:fromAssignee as uuid), cast(:assignee as uuid), :reason, cast(:detail as jsonb)
         from moved
     )
     select t.handoff_timeout_seconds as "timeoutSeconds" from teams t where t.id = cast(:teamId as uuid) and :state = 'queued'`,
    {
      id: row.id,
      workspaceId: row.workspaceId,
      contactId: row.contactId,
      state: to.state,
      status: statusOfState(to.state),
      botPaused: botPausedInState(to.state),
      assignee: to.assigneeUserId,
      teamId,
      queuedAt,
      snoozedUntil,
      setNote: to.handoffNote !== undefined,
      note: to.handoffNote ?? null,
      now: ctx.now,
      fromSlot,
      toSlot,
      eventId,
      actorKind: ctx.actor.kind,
      actorUserId: ctx.actor.userId,
      fromState: row.state,
      fromAssignee: row.assigneeUserId,
      reason: ctx.reason,
      detail: JSON.stringify(ctx.detail ?? {}),
    },
    { row: HandoffTimeoutRow },
  );
  ctx.after.events.push({
    type: 'conversation',
    eventId,
    workspaceId: row.workspaceId,
    conversationId: row.id,
    teamId,
    fromState: row.state,
    toState: to.state,
    fromAssigneeUserId: row.assigneeUserId,
    toAssigneeUserId: to.assigneeUserId,
    reason: ctx.reason,
    at: ctx.now.toISOString(),
  });
  // A freed slot lets the old owner's teams assign their oldest waiting conversation.
  if (fromSlot && fromSlot !== toSlot) for (const team of await teamsOf(em, row.workspaceId, fromSlot)) ctx.after.kick.add(team);
  if (to.state === 'queued' && teamId) ctx.after.kick.add(teamId);
  const timeoutSeconds = teamRows[0]?.timeoutSeconds;
  if (to.state === 'queued' && timeoutSeconds)
    ctx.after.timers.push({
      kind: 'handoff_timeout',
      conversationId: row.id,
      waitStartedAt: ctx.now,
      dueAt: new Date(ctx.now.getTime() + timeoutSeconds * 1000),
    });
  return { ...row, state: to.state, assigneeUserId: to.assigneeUserId, teamId, queuedAt, snoozedUntil, stateChangedAt: ctx.now };
}

const TeamIdRow = z.object({ teamId: z.string() });

/** The teams an agent is a member of. */
export async function teamsOf(em: EntityManager, workspaceId: string, userId: string): Promise<string[]> {
  const { rows } = await runSql(
    em,
    `select team_id as "teamId" from team_members where workspace_id = :workspaceId and user_id = :userId`,
    { workspaceId, userId },
    { row: TeamIdRow },
  );
  return rows.map((r) => r.teamId);
}

/**
 * Checks that `agent` may be given the conversation now: a member of its team, not over capacity,
 * never offline, and (unless `self`: an agent taking it, who is present by acting, and may be
 * away) online and present.
 */
export function requireRoom(
  agent: AgentSlot | undefined,
  opts: { teamId: string | null; self: boolean; alreadyOwns?: boolean },
): AgentSlot {
  if (!agent) throw new ValidationError('that person is not a member of this workspace');
  if (!agent.inTeam)
    throw new ConflictError("that agent is not a member of the conversation's team: transfer it to one of their teams instead", {
      details: { teamId: opts.teamId },
    });
  if (opts.self && agent.availability === 'offline')
    throw new ConflictError('you are offline: set yourself online or away to take conversations');
  if (!opts.self && (agent.availability !== 'online' || !agent.present))
    throw new ConflictError(
      `that agent is ${agent.availability === 'online' ? 'not connected' : agent.availability} and cannot be given conversations now`,
    );
  if (!opts.alreadyOwns && agent.load >= agent.capacity)
    throw new ConflictError(`that agent already has ${agent.load} open conversations, their capacity`, {
      details: { load: agent.load, capacity: agent.capacity },
    });
  return agent;
}
