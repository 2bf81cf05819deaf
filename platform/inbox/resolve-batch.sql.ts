import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { PROCESS_TAG } from './assign-queue.sql.ts';
import { emptyInboxAfterCommit, type InboxActor, type InboxAfterCommit } from './inbox-effects.ts';
import { recordResolved, ResolvedRow, type RefillOutcome } from './resolve-and-refill.sql.ts';

/*
 * Resolves several conversations, and refills the slots they free, in one statement and one
 * commit: the resolves of one process that arrive together (Inbox.resolve groups them with a
 * GroupCommit). A busy inbox resolves hundreds of conversations a second, and each resolve was a
 * statement and a commit of its own (resolve-and-refill.sql.ts) whose fixed cost (the executor
 * starting a 12-CTE plan, the snapshot, the commit) was most of PostgreSQL's CPU per resolve
 * (bench/README.md, `routing`).
 *
 * The one-conversation statement's guarantees, for every slot of the batch:
 *
 * - This statement never waits for a conversation's or an agent's lock, so it cannot deadlock on
 *   them, whatever order other transactions lock several conversations in (the inbound store by
 *   channel and contact, the engine's batches):
 *   `cur` locks the conversations and `agent` their agents' rows with SKIP LOCKED, and a
 *   conversation whose row or agent's row another transaction holds is left out (`alone`, as is
 *   one missing or resolved already); the caller resolves those one by one with the
 *   one-conversation statement, which waits. FOR UPDATE re-reads a row changed since the
 *   statement's snapshot (EvalPlanQual), so the owner and the load are those of now, and they
 *   cannot change until this commits.
 * - Never over capacity: an agent who freed `freed` slots and now has `load` gets at most
 *   `least(freed, capacity - (load - freed))` conversations, and their load is written as
 *   `load - freed + assigned` while their row is locked.
 * - Never twice: each team's queue is walked oldest first in its index (`conversations_queue`)
 *   with `limit n for update skip locked` under the walk (n: the batch's slots in that team), so
 *   each conversation taken is one this statement locked, still queued at its newest version
 *   (one taken since the snapshot fails `state = 'queued'` and the walk goes on), and each is
 *   paired with one slot by rank. A conversation the batch resolves is never one of them (it may
 *   be queued: a supervisor resolving from the queue).
 * - Oldest first, and the strategy: as in the one-conversation statement, an agent freeing a slot
 *   is the only one of the team with room while the team has a queue; between the batch's agents
 *   of one team, the slots are ranked as the assignment pass ranks them (round robin: each
 *   agent's first slot before anyone's second, then by turn; least busy: by load).
 * - Agents in more than one assigning team are left out too (`alone`): which of their teams'
 *   heads each of their slots should take, without giving one conversation to two agents of the
 *   batch, is not a ranking, and the one-conversation statement already takes the oldest head.
 *
 * Answers one row per conversation it locked: resolved, or left alone.
 *
 * Planning: prepared once per connection (runSql), and its generic plan must be kept (planning it
 * costs about as much as running it: test/inbox-resolve-batch.test.ts). PostgreSQL keeps it only if
 * it looks no dearer than the plans made for the values, so nothing the planner weighs may depend on
 * them: no LIMIT is a bound parameter (see resolve-and-refill.sql.ts), and the resolves come as one
 * jsonb document rather than arrays, whose length a custom plan would see (400 batches of one
 * resolve, with arrays: 400 custom plans, no generic one). The conversations are probed by primary key
 * (`id = any(array(...))`): a join with the input was planned as a scan of the whole table.
 */
const RESOLVE_BATCH_SQL = `
with input as (
  select i.id, i.workspace_id, i.event_id, i.refill_event_id, i.actor_kind, i.actor_user_id, i.reason
    from jsonb_to_recordset(cast(:items as jsonb))
         as i(id uuid, workspace_id uuid, event_id uuid, refill_event_id uuid, actor_kind text, actor_user_id uuid, reason text)
), cur as (
  select c.id, c.workspace_id, c.state, c.assignee_user_id, c.team_id, c.contact_id
    from conversations c
   where c.id = any(array(select input.id from input)) and c.state in ('bot', 'queued', 'assigned', 'snoozed')
     and c.workspace_id = (select input.workspace_id from input where input.id = c.id)
     for update skip locked
), multi as (
  -- Agents in several assigning teams: their conversations are resolved one by one (see above).
  select tm.workspace_id, tm.user_id
    from team_members tm join teams t on t.id = tm.team_id
   where (tm.workspace_id, tm.user_id) in (select cur.workspace_id, cur.assignee_user_id from cur where cur.state = 'assigned')
     and t.strategy <> 'manual'
   group by tm.workspace_id, tm.user_id
  having count(*) > 1
), agent as (
  select a.workspace_id, a.user_id, a.load, (a.availability = 'online' and a.last_seen_at > cast(:presentSince as timestamptz)) as available,
         a.xmin::text as version
    from (select distinct cur.workspace_id, cur.assignee_user_id from cur where cur.state = 'assigned') f
    join agent_status a on a.workspace_id = f.workspace_id and a.user_id = f.assignee_user_id
   where (a.workspace_id, a.user_id) not in (select multi.workspace_id, multi.user_id from multi)
     for update of a skip locked
), mine as (
  -- What this statement resolves: every conversation it locked whose agent's row it locked too (or that holds no slot).
  select cur.* from cur
   where cur.state <> 'assigned' or (cur.workspace_id, cur.assignee_user_id) in (select agent.workspace_id, agent.user_id from agent)
), freed as (
  select agent.*, f.n as freed
    from agent join (select mine.workspace_id, mine.assignee_user_id, count(*)::int as n from mine where mine.state = 'assigned' group by 1, 2) f
      on f.workspace_id = agent.workspace_id and f.assignee_user_id = agent.user_id
), refill_teams as (
  select agent.workspace_id, agent.user_id, tm.team_id, t.strategy, tm.last_turn, agent.load - agent.freed as kept,
         least(agent.freed, coalesce(tm.capacity, t.default_capacity) - (agent.load - agent.freed)) as slots
    from freed agent
    join team_members tm on tm.workspace_id = agent.workspace_id and tm.user_id = agent.user_id
    join teams t on t.id = tm.team_id
   where agent.available and t.strategy <> 'manual' and agent.load - agent.freed < coalesce(tm.capacity, t.default_capacity)
), slots as (
  select rt.workspace_id, rt.user_id, rt.team_id, rt.strategy,
         row_number() over (partition by rt.team_id order by case when rt.strategy = 'least_busy' then rt.kept + k else k end, rt.last_turn, rt.user_id) as rn
    from refill_teams rt cross join lateral generate_series(1, rt.slots) k
), demand as (
  select slots.team_id, count(*) as n from slots group by slots.team_id
), heads as (
  select head.id, head.contact_id, head.team_id, row_number() over (partition by head.team_id order by head.queued_at, head.id) as rn
    from demand
    cross join lateral (
      select c.id, c.contact_id, c.team_id, c.queued_at from conversations c
       where c.team_id = demand.team_id and c.state = 'queued' and c.id not in (select input.id from input)
       order by c.queued_at, c.id
       limit demand.n
         for update skip locked
    ) head
), pairs as (
  select heads.id, heads.contact_id, heads.team_id, slots.workspace_id, slots.user_id, slots.strategy, slots.rn
    from heads join slots on slots.team_id = heads.team_id and slots.rn = heads.rn
), resolved as (
  update conversations c set state = 'resolved', status = 'resolved', bot_paused = false, snoozed_until = null,
         resolved_at = :now, state_changed_at = :now, updated_at = :now
    from mine where c.id = mine.id
  returning c.id, mine.workspace_id, mine.state as from_state, mine.assignee_user_id as from_assignee, mine.team_id, mine.contact_id
), assigned as (
  update conversations c set state = 'assigned', status = 'open', bot_paused = true, assignee_user_id = pairs.user_id,
         state_changed_at = :now, updated_at = :now
    from pairs
   where c.id = pairs.id and c.state = 'queued' and c.id = any(array(select pairs.id from pairs))
  returning c.id, c.contact_id, c.team_id, pairs.workspace_id, pairs.user_id, pairs.strategy, pairs.rn
), loads as (
  update agent_status a set load = a.load - agent.freed + coalesce(got.n, 0)
    from freed agent left join (select assigned.workspace_id, assigned.user_id, count(*)::int as n from assigned group by 1, 2) got
           on got.workspace_id = agent.workspace_id and got.user_id = agent.user_id
   where a.workspace_id = agent.workspace_id and a.user_id = agent.user_id
), turn as (
  select nextval('inbox_turns') as base
), turns as (
  update team_members tm set last_turn = turn.base * 100000 + got.last_rn
    from turn, (select assigned.team_id, assigned.user_id, max(assigned.rn) as last_rn from assigned group by 1, 2) got
   where tm.team_id = got.team_id and tm.user_id = got.user_id
), freed_items as (
  -- Each agent's resolves numbered: the j-th is refilled by the agent's j-th assignment, if any.
  select mine.id, mine.workspace_id, mine.assignee_user_id,
         row_number() over (partition by mine.workspace_id, mine.assignee_user_id order by mine.id) as j
    from mine where mine.state = 'assigned'
), refills as (
  select f.id as item_id, input.refill_event_id, r.id, r.contact_id, r.team_id, r.workspace_id, r.user_id, r.strategy
    from freed_items f
    join input on input.id = f.id
    join (select assigned.*, row_number() over (partition by assigned.workspace_id, assigned.user_id order by assigned.rn) as j from assigned) r
      on r.workspace_id = f.workspace_id and r.user_id = f.assignee_user_id and r.j = f.j
), ev as (
  insert into conversation_events (id, workspace_id, conversation_id, contact_id, team_id, actor_kind, actor_user_id, from_state, to_state,
                                   from_assignee_user_id, to_assignee_user_id, reason, detail)
  select input.event_id, resolved.workspace_id, resolved.id, resolved.contact_id, resolved.team_id, input.actor_kind, input.actor_user_id, resolved.from_state, 'resolved',
         resolved.from_assignee, resolved.from_assignee, input.reason, '{}'::jsonb
    from resolved join input on input.id = resolved.id
  union all
  select refills.refill_event_id, refills.workspace_id, refills.id, refills.contact_id, refills.team_id, 'system', null, 'queued', 'assigned',
         null, refills.user_id, 'assigned by the team''s ' || replace(refills.strategy, '_', ' ') || ' (a slot freed)', jsonb_build_object('process', cast(:process as text))
    from refills
  returning conversation_id, created_at
)
select cur.id, (resolved.id is null) as alone, cur.state as "fromState", cur.assignee_user_id as "fromAssigneeUserId", cur.team_id as "teamId",
       refills.id as "refilledId", refills.team_id as "refilledTeamId",
       (select ev.created_at from ev where ev.conversation_id = refills.id) as "refilledAt",
       agent.available as "agentAvailable",
       -- A resolve beyond the slots its agent may fill (their capacity was lowered) had no room.
       (select count(*) from refill_teams rt where rt.workspace_id = agent.workspace_id and rt.user_id = agent.user_id and fi.j <= rt.slots)::int
         as "teamsWithRoom",
       -- On a miss only (a freed slot left unfilled): the agent's teams to kick, and why it was left.
       case when missed.yes then
         (select coalesce(array_agg(tm.team_id), '{}') from team_members tm where tm.workspace_id = cur.workspace_id and tm.user_id = cur.assignee_user_id)
       else '{}' end as "freedTeams",
       case when missed.yes then
         exists (select 1 from refill_teams rt
                  where rt.workspace_id = agent.workspace_id and rt.user_id = agent.user_id
                    and exists (select 1 from conversations c where c.team_id = rt.team_id and c.state = 'queued'
                                   and c.id not in (select assigned.id from assigned)))
       end as "queueSeen",
       case when missed.yes then
         -- The agent's row as the snapshot saw it (another version than the one locked: the lock waited).
         (select a.xmin::text <> agent.version from agent_status a where a.workspace_id = agent.workspace_id and a.user_id = agent.user_id)
       end as "agentMoved"
  from cur
  left join resolved on resolved.id = cur.id
  left join refills on refills.item_id = cur.id
  left join freed_items fi on fi.id = cur.id
  left join freed agent on resolved.from_state = 'assigned' and agent.workspace_id = cur.workspace_id and agent.user_id = cur.assignee_user_id
  cross join lateral (select resolved.from_state = 'assigned' and refills.id is null as yes) missed`;

/** One conversation of the batch: resolved here, or left to be resolved alone. */
const BatchRow = ResolvedRow.extend({ id: z.string(), alone: z.boolean() });

/** One resolve of a batch. */
export interface ResolveItem {
  workspaceId: string;
  conversationId: string;
  actor: InboxActor;
  reason: string;
}

/**
 * What the batch did for one resolve: resolved it (what became of the freed slot, and what to do
 * after commit), or left it to be resolved alone (held elsewhere, missing, resolved already, or
 * its agent in several assigning teams).
 */
export type ResolveItemResult = { kind: 'resolved'; outcome: RefillOutcome; after: InboxAfterCommit } | { kind: 'alone' };

/**
 * Resolves the conversations of `items` (distinct conversations) and refills the slots they free,
 * in one statement (see RESOLVE_BATCH_SQL); one result per item, in their order. The events,
 * kicks of a freed slot left unfilled, … go to each item's own `after`.
 */
export async function resolveBatch(
  em: EntityManager,
  items: readonly ResolveItem[],
  ctx: { now: Date; graceMs: number },
): Promise<ResolveItemResult[]> {
  const eventIds = items.map(() => newId());
  const refillEventIds = items.map(() => newId());
  const { rows } = await runSql(
    em,
    RESOLVE_BATCH_SQL,
    {
      // One json parameter, not arrays: a custom plan would see an array's length and weigh plans by
      // it, and batches of a few resolves would then keep PostgreSQL from ever keeping the generic plan.
      items: JSON.stringify(
        items.map((item, i) => ({
          id: item.conversationId,
          workspace_id: item.workspaceId,
          event_id: eventIds[i],
          refill_event_id: refillEventIds[i],
          actor_kind: item.actor.kind,
          actor_user_id: item.actor.userId,
          reason: item.reason,
        })),
      ),
      now: ctx.now,
      presentSince: new Date(ctx.now.getTime() - ctx.graceMs),
      process: PROCESS_TAG,
    },
    { row: BatchRow },
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return items.map((item, i): ResolveItemResult => {
    const row = byId.get(item.conversationId);
    if (!row || row.alone) return { kind: 'alone' };
    const after = emptyInboxAfterCommit();
    const outcome = recordResolved(after, row, {
      workspaceId: item.workspaceId,
      conversationId: item.conversationId,
      reason: item.reason,
      eventId: eventIds[i]!,
      refillEventId: refillEventIds[i]!,
      now: ctx.now,
    });
    return { kind: 'resolved', outcome, after };
  });
}
