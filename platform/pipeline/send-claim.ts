import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { CHANNEL_KINDS, type ChannelKind } from '../../engine/channels/channel-kind.ts';
import { automatedSendBlocker } from '../../engine/contacts/automated-send-blocker.ts';
import { MESSAGE_TYPES, StoredMediaSchema } from '../../engine/messages/message-content.ts';
import { MESSAGE_STATUSES } from '../../engine/messages/message-status.ts';
import type { OutboundSend } from '../../engine/ports/channel-connector.port.ts';
import type { RegisteredConnector } from './connector-registry.ts';
import { runSql } from './run-sql.ts';
import { emitEvents } from '../webhooks/webhook-events.ts';
import { messageStatusEvents } from '../webhooks/event-payloads.ts';

/** Attempt bookkeeping kept in messages.metadata.send. */
export const SendState = z.object({
  attempts: z.number().optional(),
  /** Set before the provider is called, cleared once the outcome is recorded: still set means a crash mid-send. */
  inFlightSince: z.string().optional(),
  lastError: z.string().optional(),
});
export type SendState = z.infer<typeof SendState>;

/** A queued message as a send worker needs it, with the attempt it claimed (see CLAIM_SQL). */
export const SendRow = z.object({
  id: z.string(),
  workspaceId: z.string(),
  channelId: z.string(),
  contactId: z.string(),
  /** An outbound message's sender (the messages claimed are outbound: a contact's own are never queued). */
  sender: z.enum(['bot', 'agent', 'owner', 'broadcast']),
  idempotencyKey: z.string().nullable(),
  type: z.enum(MESSAGE_TYPES),
  text: z.string().nullable(),
  media: StoredMediaSchema.nullable(),
  status: z.enum(MESSAGE_STATUSES),
  channelKind: z.enum(CHANNEL_KINDS),
  channelDeletedAt: z.date().nullable(),
  phone: z.string().nullable(),
  optedOutAt: z.date().nullable(),
  restrictedAt: z.date().nullable(),
  erasedAt: z.date().nullable(),
  externalIds: z.array(z.object({ kind: z.string(), value: z.string() })),
  /** The attempt state before the claim; null when nothing was claimed (see CLAIM_SQL). */
  previousSend: SendState.nullable(),
  queuedAt: z.date(),
});
export type SendRow = z.infer<typeof SendRow>;

/*
 * Loads messages and claims an attempt on each in one round trip. The claim counts the attempt
 * and marks it in flight, under the row lock that checks the message is still queued, and only
 * when no earlier outbound message of the same conversation is still queued: a channel may send
 * several messages at once, but a conversation's messages leave in the order they were queued
 * (ids are time-ordered). `previousSend` is the attempt state before the claim (so that an
 * attempt left in flight by a killed worker is recognised); null when nothing was claimed.
 * The outer select reads the snapshot from before the claim: `status` is the status then.
 */
const CLAIM_SQL = `
with previous as (
  select m.id, coalesce(m.metadata -> 'send', '{}') as send,
         -- Connectors that wait before the provider call mark the hand-over themselves (SendHandOver).
         (select ch.kind from channels ch where ch.id = m.channel_id) = any(cast(:selfMarkingKinds as text[])) as self_marking
    from messages m
   where m.id = any(cast(:messageIds as uuid[])) and m.status = 'queued'
     -- A subquery with a limit stays a per-row probe of messages_outbox_conversation; a NOT EXISTS
     -- may become an anti join that reads every queued message per candidate (seen in a generic plan).
     and (select earlier.id from messages earlier
           where earlier.conversation_id = m.conversation_id and earlier.direction = 'outbound'
             and earlier.queued and earlier.id < m.id
           order by earlier.id limit 1) is null
     for update of m
),
claimed as (
  update messages m
     set metadata = jsonb_set(m.metadata, '{send}', previous.send || jsonb_strip_nulls(jsonb_build_object(
           'attempts', coalesce(cast(previous.send ->> 'attempts' as integer), 0) + 1,
           'inFlightSince', case when previous.self_marking then null else cast(:startedAt as text) end)))
    from previous
   where m.id = previous.id
  returning m.id, previous.send
)
select m.id, m.workspace_id as "workspaceId", m.channel_id as "channelId", m.contact_id as "contactId", m.sender,
       m.idempotency_key as "idempotencyKey", m.type, m.text, m.media, m.status,
       ch.kind as "channelKind", ch.deleted_at as "channelDeletedAt",
       c.phone, c.opted_out_at as "optedOutAt", c.restricted_at as "restrictedAt", c.erased_at as "erasedAt",
       coalesce((select json_agg(json_build_object('kind', ci.kind, 'value', ci.value) order by ci.created_at)
                   from contact_identities ci
                  where ci.contact_id = m.contact_id and ci.channel_id = m.channel_id and ci.kind <> 'phone'), '[]') as "externalIds",
       claimed.send as "previousSend", m.created_at as "queuedAt"
  -- One primary-key probe per message, channel and contact (a subquery with a limit is not
  -- flattened into a join): with no statistics (autovacuum off), joins were planned as scans of
  -- the whole contacts and channels tables at every claim.
  from unnest(cast(:messageIds as uuid[])) as wanted(id)
  cross join lateral (select * from messages m where m.id = wanted.id limit 1) m
  cross join lateral (select ch.kind, ch.deleted_at from channels ch where ch.id = m.channel_id limit 1) ch
  cross join lateral (select c.phone, c.opted_out_at, c.restricted_at, c.erased_at from contacts c where c.id = m.contact_id limit 1) c
  left join claimed on claimed.id = m.id
 order by m.id`;

/**
 * Loads `messageIds` and claims an attempt on each that may be sent now (see CLAIM_SQL); missing ids
 * are absent. Planned at each call (RunSqlOptions.planEachCall): the generic plan chosen while the
 * tables were small scanned messages and contacts whole at every claim once they had grown, and
 * read the rows through the partial index of queued messages and its dead entries (an engine
 * reply's send took 61 ms at p50 at 200 messages/s, 8 ms planned each call).
 */
export async function claimSends(
  em: EntityManager,
  messageIds: readonly string[],
  startedAt: Date,
  selfMarkingKinds: readonly ChannelKind[],
): Promise<SendRow[]> {
  return (
    await runSql(em, CLAIM_SQL, { messageIds, startedAt: startedAt.toISOString(), selfMarkingKinds }, { row: SendRow, planEachCall: true })
  ).rows;
}

/**
 * Why a claimed message must fail instead of being sent, or null when it may go: the channel is
 * gone, consent changed since it was queued (a broadcast queued for hours), no connector here, or
 * an earlier attempt was interrupted and the connector cannot tell a resend from a new message.
 */
export function sendRefusal(row: SendRow, registered: RegisteredConnector | undefined): string | null {
  if (row.channelDeletedAt !== null) return 'channel_deleted';
  const blocker = automatedSendBlocker(row, row.sender);
  if (blocker !== null) return `contact_unreachable: ${blocker}`;
  if (!registered) return `no connector for ${row.channelKind} channels`;
  if (row.previousSend?.inFlightSince !== undefined && !registered.deduplicatesSends) {
    return `send_outcome_unknown: an attempt started at ${row.previousSend.inFlightSince} was interrupted`;
  }
  return null;
}

/** The message as the connector port describes it. */
export function toOutboundSend(row: SendRow): OutboundSend {
  return {
    messageId: row.id,
    workspaceId: row.workspaceId,
    channelId: row.channelId,
    // Every queued message has one (the outbox requires it); the message id is the fallback for old rows.
    idempotencyKey: row.idempotencyKey ?? row.id,
    to: { contactId: row.contactId, phone: row.phone, externalIds: row.externalIds },
    type: row.type,
    text: row.text,
    media: row.media,
  };
}

/*
 * Planned at each call (see RunSqlOptions.planEachCall), with the rows given and the table as it
 * is now. Generic plans chosen on a new installation's small table went wrong both ways as it
 * grew: through the partial index of queued messages, walking its dead entries (every message
 * sent since the last vacuum) at each call (~1 ms for one message, the engine bench's costliest
 * statement); or, with 'queued' as a parameter, a sequential scan joined row by row with the input
 * (a broadcast's 150 sends: 22,500 comparisons, send rate 3,050/s instead of 4,500-5,400/s).
 * Planning this statement costs little.
 *
 * RECORD_SENT_SQL and RECORD_FAILED_SQL answer the conversation's next queued outbound message:
 * its job may be waiting (delayed) for this one to leave, and is woken at once. RECORD_SENT_SQL
 * answers it per updated message (a statement may record the sends of several jobs, each of which
 * wakes its own conversation's next message); a message no longer queued is not updated and has
 * no row.
 */
const RECORD_SENT_SQL = `
with sent as (
  select * from unnest(cast(:messageIds as uuid[]), cast(:providerMessageIds as text[])) as s(id, provider_message_id)
)
update messages
   set status = 'sent', provider_message_id = sent.provider_message_id,
       status_times = status_times || cast(:times as jsonb),
       metadata = metadata #- '{send,inFlightSince}'
  from sent
 where messages.id = any(cast(:messageIds as uuid[])) and messages.id = sent.id and messages.status = 'queued'
returning messages.id as "messageId", messages.workspace_id as "workspaceId", messages.channel_id as "channelId",
          messages.conversation_id as "conversationId", messages.contact_id as "contactId",
          (select n.id from messages n
            where n.conversation_id = messages.conversation_id and n.direction = 'outbound'
              and n.queued and n.id > messages.id
            order by n.id limit 1) as "nextId"`;

/** A message whose status RECORD_FAILED_SQL moved, with the next queued message of its conversation (null: none). */
const RecordedStatusRow = z.object({
  workspaceId: z.string(),
  channelId: z.string(),
  conversationId: z.string(),
  contactId: z.string(),
  nextId: z.string().nullable(),
});
/** A message RECORD_SENT_SQL recorded: the same, with its id. */
const RecordedSentRow = RecordedStatusRow.extend({ messageId: z.string() });

/** A message the provider took, with the id the provider gave it. */
export interface SentMessage {
  messageId: string;
  providerMessageId: string;
}

/**
 * Records messages as sent with their provider ids; answers, for each message recorded, the next
 * queued message of its conversation (null when none). Messages no longer queued are left as they
 * are and absent from the answer.
 */
export async function recordSentEach(em: EntityManager, sent: readonly SentMessage[], at: Date): Promise<Map<string, string | null>> {
  if (sent.length === 0) return new Map();
  const { rows } = await runSql(
    em,
    RECORD_SENT_SQL,
    {
      messageIds: sent.map((s) => s.messageId),
      providerMessageIds: sent.map((s) => s.providerMessageId),
      times: JSON.stringify({ sent: at.toISOString() }),
    },
    { row: RecordedSentRow, planEachCall: true },
  );
  await emitEvents(em, messageStatusEvents(rows.map((r) => ({ ...r, status: 'sent', at }))));
  return new Map(rows.map((r) => [r.messageId, r.nextId]));
}

/** Records messages as sent with their provider ids (see recordSentEach); answers the next queued messages to wake. */
export async function recordSent(em: EntityManager, sent: readonly SentMessage[], at: Date): Promise<string[]> {
  const next = await recordSentEach(em, sent, at);
  return [...next.values()].filter((id): id is string => id !== null);
}

const RECORD_FAILED_SQL = `
update messages
   set status = 'failed', failure_reason = :reason,
       status_times = status_times || cast(:times as jsonb),
       metadata = metadata #- '{send,inFlightSince}'
 where id = :messageId and status = 'queued'
returning messages.workspace_id as "workspaceId", messages.channel_id as "channelId", messages.conversation_id as "conversationId", messages.contact_id as "contactId",
          (select n.id from messages n
            where n.conversation_id = messages.conversation_id and n.direction = 'outbound'
              and n.queued and n.id > messages.id
            order by n.id limit 1) as "nextId"`;

/** Records a message as failed; answers the next queued message of its conversation, if any. */
export async function recordFailed(em: EntityManager, messageId: string, reason: string, at: Date): Promise<string | null> {
  const { rows } = await runSql(
    em,
    RECORD_FAILED_SQL,
    { messageId, reason, times: JSON.stringify({ failed: at.toISOString() }) },
    { row: RecordedStatusRow },
  );
  await emitEvents(em, messageStatusEvents(rows.map((r) => ({ ...r, messageId, status: 'failed', failureReason: reason, at }))));
  return rows[0]?.nextId ?? null;
}

const RECORD_RETRYABLE_SQL = `
update messages
   set metadata = jsonb_set(metadata #- '{send,inFlightSince}', '{send,lastError}', to_jsonb(cast(:lastError as text)))
 where id = :messageId and status = 'queued'`;

/** Records why an attempt failed in a way worth retrying, and that it is no longer in flight. */
export async function recordRetryable(em: EntityManager, messageId: string, lastError: string): Promise<void> {
  await runSql(em, RECORD_RETRYABLE_SQL, { messageId, lastError });
}

const MARK_IN_FLIGHT_SQL = `
update messages set metadata = jsonb_set(metadata, '{send,inFlightSince}', to_jsonb(cast(:startedAt as text)))
 where id = :messageId and status = 'queued'`;

/** Marks the attempt in flight, for connectors that call it just before the provider (SendHandOver). */
export async function markInFlight(em: EntityManager, messageId: string, startedAt: Date): Promise<void> {
  await runSql(em, MARK_IN_FLIGHT_SQL, { messageId, startedAt: startedAt.toISOString() });
}
