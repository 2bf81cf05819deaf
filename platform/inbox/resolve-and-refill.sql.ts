import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { CONVERSATION_STATES } from '../../engine/conversations/conversation-state.ts';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { PROCESS_TAG } from './assign-queue.sql.ts';
import type { MoveContext } from './conversation-moves.ts';
import type { InboxAfterCommit } from './inbox-effects.ts';

/*
 * Resolve, and hand the freed slot straight to the longest waiting conversation, in one
 * statement (the hot path of a busy inbox: every resolve frees a slot, and the issue asks for
 * the freed slot to be used within a second). One round trip and one commit per resolve, and no
 * assignment pass to wait for. Inbox.resolve runs it for a resolve that arrives alone and for those
 * the batch statement leaves alone (resolve-batch.sql.ts: resolves that arrive together).
 *
 * - `cur` locks the conversation (only from a state that may be resolved), then `agent` locks its
 *   agent's row: the inbox's lock order (conversation, then agent). FOR UPDATE re-reads a row
 *   changed since the snapshot (EvalPlanQual), so `agent.load` is the load now.
 * - The refill: when the agent is online, present and, after this resolve, has room in a team
 *   that assigns (not `manual`), each such team's queue is walked oldest first in its index
 *   (`conversations_queue`) and the first conversation this statement can lock is taken
 *   (`limit 1 for update skip locked` under the walk): one that an assignment pass or another
 *   refill holds is skipped, never waited on, and one that left the queue since the snapshot is
 *   re-read at its newest version and fails `state = 'queued'`, so the walk goes on to the next.
 *   The oldest of the teams' heads becomes the agent's; their load goes down by one and up by one
 *   in one update of their row. (With the agent in several teams, the other teams' heads stay
 *   locked until this commits: a pass or refill meanwhile takes the next one, as with any lock it
 *   skips.)
 * - The walk has no bound on purpose. It once considered only each team's 8 oldest conversations
 *   of the snapshot, and a busy inbox made that too few: the snapshot is taken before the agent's
 *   row is locked, and that lock often waits (the agent's other resolves, a pass), while dozens
 *   of resolves at once hold or take the queue's head; when all 8 were gone the slot was left to
 *   a pass, whose locks on the head made the next resolves miss too (bench/README.md, `routing`:
 *   up to half the assignments came from passes, and the freed slot waited for them).
 * - Why this agrees with the team's strategy: while a team has a queue, each of its available
 *   agents with room is given a conversation as soon as the queue moves (the assigner's pass), so
 *   the agent freeing a slot is the only one with room, the one round robin and least busy would
 *   both pick. (An agent who just came online is filled by the pass their arrival kicks.)
 * - No refill (nothing queued, every queued conversation locked elsewhere, the agent away): the
 *   caller kicks the agent's teams, and the assigner's pass uses the slot. Only then does the
 *   final select look at why (`queueSeen`, `agentMoved`: evaluated on a miss only).
 *
 * Answers nothing when the conversation is missing or already resolved.
 *
 * Planning: the statement is prepared once per connection (runSql) and must stay cheap to plan
 * again and again. PostgreSQL plans a prepared statement for its values five times, then keeps a
 * generic plan only if that plan's estimated cost is no worse. A bound LIMIT is estimated at a
 * tenth of the table, which made the generic plan look dear: every resolve was planned afresh
 * (about as much CPU as running it). Every LIMIT is written into the text, and the generic plan
 * (the same index scans) is used from the sixth call on (test/inbox-resolve-plan.test.ts).
 */
const RESOLVE_AND_REFILL_SQL = `
with cur as (
  select id, state, assignee_user_id, team_id, contact_id from conversations
   where id = :id and workspace_id = :workspaceId and state in ('bot', 'queued', 'assigned', 'snoozed')
     for update
), agent as (
  select a.user_id, a.load, (a.availability = 'online' and a.last_seen_at > cast(:presentSince as timestamptz)) as available, a.xmin::text as version
    from cur join agent_status a on a.workspace_id = :workspaceId and a.user_id = cur.assignee_user_id
   where cur.state = 'assigned'
     for update of a
), refill_teams as (
  select tm.team_id, t.strategy
    from agent
    join team_members tm on tm.workspace_id = :workspaceId and tm.user_id = agent.user_id
    join teams t on t.id = tm.team_id
   where agent.available and t.strategy <> 'manual' and agent.load - 1 < coalesce(tm.capacity, t.default_capacity)
), next as (
  select head.id, head.contact_id, head.team_id
    from refill_teams rt
    cross join lateral (
      select c.id, c.contact_id, c.team_id, c.queued_at from conversations c
       where c.team_id = rt.team_id and c.state = 'queued'
       order by c.queued_at, c.id
       limit 1
         for update skip locked
    ) head
   order by head.queued_at, head.id
   limit 1
), resolved as (
  update conversations c set state = 'resolved', status = 'resolved', bot_paused = false, snoozed_until = null,
         resolved_at = :now, state_changed_at = :now, updated_at = :now
    from cur where c.id = cur.id
  returning c.id, cur.state as from_state, cur.assignee_user_id as from_assignee, cur.team_id, cur.contact_id
), assigned as (
  update conversations c set state = 'assigned', status = 'open', bot_paused = true, assignee_user_id = agent.user_id,
         state_changed_at = :now, updated_at = :now
    from next, agent
   where c.id = next.id and c.state = 'queued'
  returning c.id, c.contact_id, c.team_id, agent.user_id
), loads as (
  update agent_status a set load = a.load - 1 + (select count(*) from assigned)
    from agent where a.workspace_id = :workspaceId and a.user_id = agent.user_id
), turns as (
  update team_members tm set last_turn = nextval('inbox_turns') * 100000
    from assigned where tm.team_id = assigned.team_id and tm.user_id = assigned.user_id
), ev as (
  insert into conversation_events (id, workspace_id, conversation_id, contact_id, team_id, actor_kind, actor_user_id, from_state, to_state,
                                   from_assignee_user_id, to_assignee_user_id, reason, detail)
  select cast(:eventId as uuid), cast(:workspaceId as uuid), resolved.id, resolved.contact_id, resolved.team_id, cast(:actorKind as text), cast(:actorUserId as uuid), resolved.from_state, 'resolved',
         resolved.from_assignee, resolved.from_assignee, cast(:reason as text), '{}'::jsonb
    from resolved
  union all
  select cast(:refillEventId as uuid), cast(:workspaceId as uuid), assigned.id, assigned.contact_id, assigned.team_id, 'system', null, 'queued', 'assigned',
         null, assigned.user_id, 'assigned by the team''s ' || replace(rt.strategy, '_', ' ') || ' (a slot freed)', jsonb_build_object('process', cast(:process as text))
    from assigned join refill_teams rt on rt.team_id = assigned.team_id
  returning conversation_id, created_at
), missed as (
  -- Whether a freed slot went unfilled: only then does the final select read why (the caller's RefillOutcome).
  select resolved.from_state = 'assigned' and not exists (select 1 from assigned) and exists (select 1 from refill_teams) as yes from resolved
)
select resolved.from_state as "fromState", resolved.from_assignee as "fromAssigneeUserId", resolved.team_id as "teamId",
       (select id from assigned) as "refilledId", (select team_id from assigned) as "refilledTeamId",
       (select created_at from ev where conversation_id = (select id from assigned)) as "refilledAt",
       case when resolved.from_state = 'assigned' then
         (select coalesce(array_agg(tm.team_id), '{}') from team_members tm where tm.workspace_id = :workspaceId and tm.user_id = resolved.from_assignee)
       else '{}' end as "freedTeams",
       (select available from agent) as "agentAvailable",
       (select count(*) from refill_teams)::int as "teamsWithRoom",
       case when (select yes from missed) then
         exists (select 1 from conversations c where c.team_id in (select team_id from refill_teams) and c.state = 'queued')
       end as "queueSeen",
       case when (select yes from missed) then
         -- The agent's row as the snapshot saw it (another version than the one locked: the lock waited).
         (select a.xmin::text <> agent.version from agent join agent_status a on a.workspace_id = :workspaceId and a.user_id = agent.user_id)
       end as "agentMoved"
  from resolved`;

/** What a resolve statement answers of one conversation: this one's and the batch's (resolve-batch.sql.ts). */
export const ResolvedRow = z.object({
  fromState: z.enum(CONVERSATION_STATES),
  fromAssigneeUserId: z.string().nullable(),
  teamId: z.string().nullable(),
  refilledId: z.string().nullable(),
  refilledTeamId: z.string().nullable(),
  refilledAt: z.date().nullable(),
  freedTeams: z.array(z.string()),
  agentAvailable: z.boolean().nullable(),
  teamsWithRoom: z.number().nullable(),
  /** On a miss: whether the snapshot saw anything queued in the agent's teams with room. */
  queueSeen: z.boolean().nullable(),
  /** On a miss: whether the agent's row changed after the statement's snapshot (its lock waited). */
  agentMoved: z.boolean().nullable(),
});
export type ResolvedRow = z.infer<typeof ResolvedRow>;

/**
 * What became of the slot a resolve freed: refilled by the resolve itself, or why not (then the
 * assigner's pass of the agent's teams uses it). Counted by the routing bench.
 */
export type RefillOutcome =
  /** The conversation was not assigned: no slot freed. */
  | 'no_slot'
  | 'refilled'
  | 'agent_unavailable'
  /** No team of the agent's assigns (manual) or has room for them. */
  | 'no_room'
  /** Nothing queued in the agent's teams (as the statement's snapshot saw it). */
  | 'queue_empty'
  /** Every queued conversation was taken or locked elsewhere, and the agent's row had changed since the statement's snapshot (its lock waited). */
  | 'queue_taken_after_agent_wait'
  /** Every queued conversation was locked by another assignment (a pass, another refill) or taken just before. */
  | 'queue_locked';

function refillOutcome(row: ResolvedRow): RefillOutcome {
  if (row.fromState !== 'assigned') return 'no_slot';
  if (row.refilledId) return 'refilled';
  if (!row.agentAvailable) return 'agent_unavailable';
  if (!row.teamsWithRoom) return 'no_room';
  if (!row.queueSeen) return 'queue_empty';
  return row.agentMoved ? 'queue_taken_after_agent_wait' : 'queue_locked';
}

/**
 * Resolves a conversation and refills the slot it frees, in one statement (see
 * RESOLVE_AND_REFILL_SQL); what became of the slot, or null when it was missing or resolved already.
 */
export async function resolveAndRefill(
  em: EntityManager,
  workspaceId: string,
  id: string,
  ctx: MoveContext & { graceMs: number },
): Promise<RefillOutcome | null> {
  const eventId = newId();
  const refillEventId = newId();
  const { rows } = await runSql(
    em,
    RESOLVE_AND_REFILL_SQL,
    {
      id,
      workspaceId,
      now: ctx.now,
      presentSince: new Date(ctx.now.getTime() - ctx.graceMs),
      eventId,
      refillEventId,
      actorKind: ctx.actor.kind,
      actorUserId: ctx.actor.userId,
      reason: ctx.reason,
      process: PROCESS_TAG,
    },
    { row: ResolvedRow },
  );
  const row = rows[0];
  if (!row) return null;
  return recordResolved(ctx.after, row, { workspaceId, conversationId: id, reason: ctx.reason, eventId, refillEventId, now: ctx.now });
}

/**
 * Tells the inbox what a resolve statement did to one conversation: its resolve, and the
 * conversation that took its slot (or, when none did here, the teams whose assigner's pass uses
 * the slot); answers what became of the slot.
 */
export function recordResolved(
  after: InboxAfterCommit,
  row: ResolvedRow,
  r: { workspaceId: string; conversationId: string; reason: string; eventId: string; refillEventId: string; now: Date },
): RefillOutcome {
  after.events.push({
    type: 'conversation',
    eventId: r.eventId,
    workspaceId: r.workspaceId,
    conversationId: r.conversationId,
    teamId: row.teamId,
    fromState: row.fromState,
    toState: 'resolved',
    fromAssigneeUserId: row.fromAssigneeUserId,
    toAssigneeUserId: row.fromAssigneeUserId,
    reason: r.reason,
    at: r.now.toISOString(),
  });
  if (row.refilledId) {
    after.events.push({
      type: 'conversation',
      eventId: r.refillEventId,
      workspaceId: r.workspaceId,
      conversationId: row.refilledId,
      teamId: row.refilledTeamId,
      fromState: 'queued',
      toState: 'assigned',
      fromAssigneeUserId: null,
      toAssigneeUserId: row.fromAssigneeUserId,
      reason: 'assigned by the team',
      at: (row.refilledAt ?? r.now).toISOString(),
    });
    return 'refilled';
  }
  // The slot was not refilled here: the assigner's pass of the agent's teams uses it.
  for (const team of row.freedTeams) after.kick.add(team);
  return refillOutcome(row);
}
