import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { StoredWeeklyHoursSchema } from '../../engine/flows/nodes/business-hours.node.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';

/*
 * The statements of the conversation drain (conversation-drain.ts), over the messages table as
 * each conversation's inbox: inbound rows with `handled_at` null, in id (arrival) order.
 */

/*
 * The oldest unhandled inbound message of each conversation asked for (`more`: it has others
 * after it), with the facts the handler needs, locking the contact rows (lockContact explains the
 * lock order; several contacts are locked in id order, so that two batches never wait on each
 * other in a cycle). Run only after the conversations' advisory locks are held, in a statement of
 * its own: a statement reads from a snapshot taken when it starts, so a read folded into the
 * statement that takes the lock could miss what the previous holder committed just before
 * releasing it (its message handled, its run now waiting for this reply), and handle a message twice.
 */
const NEXT_PENDING_SQL = `
select m.id, m.workspace_id as "workspaceId", m.channel_id as "channelId", m.conversation_id as "conversationId", m.contact_id as "contactId",
       m.type, m.text, m.created_at as "receivedAt", conv.bot_paused as "botPaused", conv.status as "conversationStatus",
       (c.opted_out_at is not null or c.restricted_at is not null or c.erased_at is not null) as "contactBlocked",
       json_build_object('phone', c.phone, 'name', c.name, 'attributes', c.attributes, 'tags', c.tags) as contact,
       not exists (select 1 from messages p where p.conversation_id = m.conversation_id and p.direction = 'inbound' and p.id < m.id) as "isFirstMessage",
       w.timezone, w.business_hours as "businessHours", oldest.more,
       waiting.id as "waitingRunId", waiting.flow_version_id as "waitingRunFlowVersionId",
       (select count(*)::int from runs r where r.contact_id = m.contact_id and r.started_at > cast(:since as timestamptz)) as "recentRuns",
       case when c.is_test then m.metadata #>> '{test,flowVersionId}' end as "testFlowVersionId"
  from unnest(cast(:conversationIds as uuid[])) as asked(id)
  cross join lateral (
    select u.id, exists (select 1 from messages n where n.conversation_id = asked.id and n.direction = 'inbound' and n.handled_at is null and n.id > u.id) as more
      from messages u
     where u.conversation_id = asked.id and u.direction = 'inbound' and u.handled_at is null
     order by u.id
     limit 1
  ) oldest
  join messages m on m.id = oldest.id
  join conversations conv on conv.id = m.conversation_id
  join contacts c on c.id = m.contact_id
  join workspaces w on w.id = m.workspace_id
  left join lateral (
    select r.id, r.flow_version_id from runs r
     where r.conversation_id = m.conversation_id and r.status = 'waiting' and r.wait ->> 'kind' = 'reply'
     order by r.started_at desc
     limit 1
  ) waiting on true
 order by c.id, m.id
   for no key update of c`;

/** An unhandled inbound message of a conversation, with everything deciding about it needs (a row of NEXT_PENDING_SQL). */
const PendingMessageRow = z.object({
  id: z.string(),
  workspaceId: z.string(),
  channelId: z.string(),
  conversationId: z.string(),
  contactId: z.string(),
  type: z.string(),
  text: z.string().nullable(),
  /** When the message was accepted (its row's created_at). */
  receivedAt: z.date(),
  botPaused: z.boolean(),
  conversationStatus: z.string(),
  contactBlocked: z.boolean(),
  contact: z.object({
    phone: z.string().nullable(),
    name: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    tags: z.array(z.string()),
  }),
  isFirstMessage: z.boolean(),
  timezone: z.string(),
  /** Null until an admin sets the workspace's hours. */
  businessHours: StoredWeeklyHoursSchema.nullable(),
  /** The run of the conversation waiting for a reply, if any (locked by the handler when used), and its version. */
  waitingRunId: z.string().nullable(),
  waitingRunFlowVersionId: z.string().nullable(),
  /** The conversation has further unhandled messages after this one. */
  more: z.boolean(),
  /** Runs started for the contact since `:since` (the loop limit). */
  recentRuns: z.number(),
  /**
   * The flow version the editor's test chat pinned this message to (a draft snapshot or the
   * published version): only that flow's triggers are tried. Honoured for test contacts only.
   */
  testFlowVersionId: z.string().nullable(),
});
export type PendingMessage = z.infer<typeof PendingMessageRow>;

/**
 * The oldest unhandled inbound message of each conversation given (their locks held), its contact
 * row locked; `since`: the start of the run limit's window.
 */
export async function selectNextPending(em: EntityManager, conversationIds: string[], since: Date): Promise<PendingMessage[]> {
  const { rows } = await runSql(em, NEXT_PENDING_SQL, { conversationIds, since }, { row: PendingMessageRow });
  return rows;
}

/*
 * Planned at each call (RunSqlOptions.planEachCall): its generic plan, chosen while messages was
 * small, scanned the whole table at each batch once it had grown (seen with autovacuum off).
 */
const MARK_HANDLED_SQL = `update messages set handled_at = now() where id = any(cast(:ids as uuid[]))`;

/** Marks the messages handled (in the transaction that handled them). */
export async function markHandled(em: EntityManager, ids: string[]): Promise<void> {
  await runSql(em, MARK_HANDLED_SQL, { ids }, { planEachCall: true });
}

const STILL_PENDING_SQL = `
select distinct conversation_id as id from messages
 where conversation_id = any(cast(:conversationIds as uuid[])) and direction = 'inbound' and handled_at is null`;

/** Of the conversations given, the ids of those with an unhandled inbound message. */
export async function stillPending(em: EntityManager, conversationIds: string[]): Promise<string[]> {
  const { rows } = await runSql(em, STILL_PENDING_SQL, { conversationIds }, { row: IdRow });
  return rows.map((row) => row.id);
}

/*
 * Counts a failure of the message's handling and, at the limit, marks it handled with the error.
 * Runs in a transaction of its own (the handling's was rolled back), under the conversation lock.
 */
const RECORD_HANDLING_FAILURE_SQL = `
update messages
   set metadata = jsonb_set(metadata, '{engine}', coalesce(metadata -> 'engine', '{}') || jsonb_build_object(
         'failures', coalesce(cast(metadata #>> '{engine,failures}' as integer), 0) + 1,
         'lastError', cast(:error as text))),
       handled_at = case when coalesce(cast(metadata #>> '{engine,failures}' as integer), 0) + 1 >= :maxFailures then now() else handled_at end
 where id = :id and handled_at is null
returning cast(metadata #>> '{engine,failures}' as integer) as failures, handled_at is not null as "gaveUp"`;
const HandlingFailureRow = z.object({ failures: z.number(), gaveUp: z.boolean() });
export type HandlingFailure = z.infer<typeof HandlingFailureRow>;

/** Counts a failed handling of the message (`gaveUp`: it is now marked handled); null when it was handled meanwhile. */
export async function recordHandlingFailure(
  em: EntityManager,
  failure: { id: string; error: string; maxFailures: number },
): Promise<HandlingFailure | null> {
  return (await runSql(em, RECORD_HANDLING_FAILURE_SQL, failure, { row: HandlingFailureRow })).rows[0] ?? null;
}
