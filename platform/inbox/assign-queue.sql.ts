import { hostname } from 'node:os';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../pipeline/run-sql.ts';
import type { InboxAfterCommit } from './inbox-effects.ts';

/** Which process assigned, kept on each event (where a conversation went, and who decided it). */
export const PROCESS_TAG = `${hostname()}/${process.pid}`;

/** The most conversations one statement assigns; a longer queue is assigned by the next pass. */
export const MAX_ASSIGNED_PER_STATEMENT = 500;

/*
 * Assigns a team's oldest queued conversations to its available agents with room, in one
 * statement. Why it never assigns over capacity nor twice, with any number of processes running
 * it and agents resolving, taking and transferring at the same time:
 *
 * - `agents` locks every candidate agent row FOR UPDATE SKIP LOCKED. A row another transaction
 *   holds (an assignment, a resolve, a transfer, a snooze of that agent: every change of an
 *   agent's load locks that row) is skipped, never waited on. A row updated and committed after
 *   this statement's snapshot is re-read at its newest version and its conditions re-checked
 *   (PostgreSQL's EvalPlanQual for locking reads), so `load` below is the agent's load now, and
 *   it cannot change until this transaction ends.
 * - `queue` locks the team's oldest queued conversations FOR UPDATE SKIP LOCKED, re-checked the
 *   same way: a conversation being taken, transferred or resolved elsewhere is skipped, and one
 *   that left the queue since the snapshot no longer matches `state = 'queued'`.
 * - Each agent offers `capacity - load` slots; slots are paired with the conversations oldest
 *   first. So no agent gets more than its room, and each locked conversation gets one owner.
 * - The conversation update, the loads and the event rows are written by the same statement,
 *   while the locks are held; the transaction is the caller's, committed right after.
 *
 * Slot order is the strategy: `round_robin` hands one conversation to each agent in turn (the
 * agent whose last turn is oldest first, `team_members.last_turn`), `least_busy` fills the
 * agents with the fewest open conversations first. The statement's turn number comes from a
 * sequence, so turns keep their order across passes and processes.
 *
 * Presence: an agent is available when `online` and seen within the grace period
 * (`last_seen_at`, kept fresh by their inbox's live connection).
 */
const ASSIGN_QUEUE_SQL = `
with team as (
  select t.id, t.workspace_id, t.strategy, t.default_capacity from teams t where t.id = :teamId and t.strategy <> 'manual'
), agents as (
  select a.user_id, a.load, coalesce(tm.capacity, team.default_capacity) as capacity, tm.last_turn
    from team
    join team_members tm on tm.team_id = team.id
    join agent_status a on a.workspace_id = tm.workspace_id and a.user_id = tm.user_id
   where a.availability = 'online' and a.last_seen_at > cast(:presentSince as timestamptz)
     and a.load < coalesce(tm.capacity, team.default_capacity)
     for update of a skip locked
), slots as (
  select agents.user_id, agents.load, k,
         row_number() over (order by case when team.strategy = 'least_busy' then k else k - agents.load end, agents.last_turn, agents.user_id) as rn
    from agents cross join team cross join lateral generate_series(agents.load + 1, agents.capacity) as k
), queue as (
  select c.id, c.contact_id, c.queued_at
    from conversations c
   where c.team_id = :teamId and c.state = 'queued'
   order by c.queued_at, c.id
   limit least((select count(*) from slots), :maxAssigned)
     for update skip locked
), pairs as (
  select q.id, q.contact_id, s.user_id, s.rn
    from (select queue.*, row_number() over (order by queue.queued_at, queue.id) as rn from queue) q
    join slots s on s.rn = q.rn
), moved as (
  update conversations c
     set state = 'assigned', status = 'open', bot_paused = true, assignee_user_id = pairs.user_id,
         state_changed_at = :now, updated_at = :now
    from pairs
   where c.id = pairs.id and c.state = 'queued'
     -- Says which rows outright: the planner, guessing thousands of slots, would otherwise scan
     -- the whole table to join them.
     and c.id = any(array(select id from pairs))
  returning c.id, c.workspace_id, c.contact_id, c.team_id, pairs.user_id, pairs.rn
), loads as (
  update agent_status a set load = a.load + n.count
    from (select user_id, count(*) as count from moved group by user_id) n
   where a.workspace_id = (select workspace_id from team) and a.user_id = n.user_id
), turn as (
  select nextval('inbox_turns') as base
), turns as (
  update team_members tm set last_turn = turn.base * 100000 + n.last_rn
    from turn, (select user_id, max(rn) as last_rn from moved group by user_id) n
   where tm.team_id = :teamId and tm.user_id = n.user_id
), events as (
  insert into conversation_events (id, workspace_id, conversation_id, contact_id, team_id, actor_kind, from_state, to_state, to_assignee_user_id, reason, detail)
  select gen_random_uuid(), moved.workspace_id, moved.id, moved.contact_id, moved.team_id, 'system', 'queued', 'assigned', moved.user_id, 'assigned by the team''s ' || replace((select strategy from team), '_', ' '), jsonb_build_object('process', cast(:process as text))
    from moved
  returning id, conversation_id, to_assignee_user_id, created_at
)
select e.id as "eventId", e.conversation_id as "conversationId", e.to_assignee_user_id as "userId", moved.workspace_id as "workspaceId", e.created_at as "at"
  from events e join moved on moved.id = e.conversation_id`;

const AssignedConversation = z.object({
  eventId: z.string(),
  conversationId: z.string(),
  userId: z.string(),
  workspaceId: z.string(),
  at: z.date(),
});
export type AssignedConversation = z.infer<typeof AssignedConversation>;

/**
 * One assignment statement for a team's queue (see ASSIGN_QUEUE_SQL); answers what it assigned.
 * A full batch means more may be assignable: the caller runs it again.
 */
export async function assignQueue(
  em: EntityManager,
  teamId: string,
  opts: { now: Date; graceMs: number; after: InboxAfterCommit },
): Promise<AssignedConversation[]> {
  const { rows } = await runSql(
    em,
    ASSIGN_QUEUE_SQL,
    {
      teamId,
      now: opts.now,
      presentSince: new Date(opts.now.getTime() - opts.graceMs),
      maxAssigned: MAX_ASSIGNED_PER_STATEMENT,
      process: PROCESS_TAG,
    },
    { row: AssignedConversation },
  );
  for (const r of rows) {
    opts.after.events.push({
      type: 'conversation',
      eventId: r.eventId,
      workspaceId: r.workspaceId,
      conversationId: r.conversationId,
      teamId,
      fromState: 'queued',
      toState: 'assigned',
      fromAssigneeUserId: null,
      toAssigneeUserId: r.userId,
      reason: 'assigned by the team',
      at: r.at.toISOString(),
    });
  }
  return rows;
}
