import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from './run-sql.ts';

/** Everything the store statement writes for one new inbound message. */
export interface InboundRow {
  channelId: string;
  now: Date;
  phone: string | null;
  name: string | null;
  /** How the channel knows the sender; each gets a contact_identities row (new ids prepared by the caller). */
  identities: { id: string; kind: string; value: string }[];
  newContactId: string;
  newConversationId: string;
  messageId: string;
  providerMessageId: string;
  type: string;
  text: string | null;
  media: unknown;
  metadata: Record<string, unknown>;
  statusTimes: Record<string, string>;
  quotedProviderMessageId: string | null;
  /**
   * Who wrote it: the contact (an inbound message, `received`), or the channel's owner from their
   * own device (an outbound message, already `sent`, which does not count as the contact's activity).
   */
  author: 'contact' | 'owner';
}

/** Ids of the stored message (null: a duplicate, or no such live channel). */
export type StoredInbound = Omit<StoredInboundRow, 'ord'>;

/**
 * How stale a contact's `last_seen_at` may be, in seconds: a message moves it only when it is
 * older than this (or unset). The contact row (eight indexes, two of them GIN) is then written
 * once a minute of a chat, not at every message, and the store no longer waits behind a drain
 * that holds the contact's row lock. Last seen is shown to the minute; segments compare it in days.
 */
export const LAST_SEEN_STEP_SECONDS = 60;

/*
 * One statement (one round trip, one commit) stores a batch of inbound messages, each row on its
 * own: it finds the channel's workspace and stores the contact, its identities, the conversation
 * and the message. A row stores nothing when its channel is unknown or deleted, or when a message
 * with its provider id is stored already (a redelivery moves no activity time); the caller then
 * finds out which. Data-modifying CTEs share one snapshot, so every step that may race with
 * another statement relies on a unique index instead of on what it read:
 * - contact: found by a known identity on this channel first, then by (workspace, phone);
 *   otherwise inserted, ON CONFLICT on contacts_workspace_phone (a concurrent insert of the
 *   same phone becomes an update of that row). Senders without a phone are serialised by the
 *   caller with an advisory lock, since no unique index covers them. A contact found is updated
 *   only when the row gains something (a name, a phone, a last_seen_at LAST_SEEN_STEP_SECONDS
 *   later). A found contact deleted before the statement's writes (an erasure committing) fails
 *   the statement on the foreign keys of its conversation and message; the caller stores the row
 *   again alone, which finds no contact and creates one: the person wrote again.
 * - identities: ON CONFLICT (channel_id, kind, value) DO NOTHING: an identity already owned by
 *   another contact stays with it (contacts are never merged here).
 * - conversation: ON CONFLICT on the partial index conversations_active: the open conversation
 *   is bumped; a resolved one does not conflict, so a new one is created.
 * - message: ON CONFLICT on messages_channel_provider_id DO NOTHING: a concurrent duplicate
 *   waits for the first to commit, then inserts nothing; the caller reports the first message.
 *   Two rows of one statement with the same provider id are decided the same way (DO NOTHING
 *   also skips a row that conflicts with one inserted earlier by the same statement).
 * A statement is atomic on its own, so no explicit transaction is needed. The loser of a
 * concurrent duplicate adds no message; its upserts only move last_seen_at / last_message_at to
 * its own acceptance time, a few milliseconds apart. A contact found by identity gets the phone
 * only when no other contact of the workspace has it.
 *
 * Rows of one statement must not upsert one contact or one conversation twice: PostgreSQL fails
 * the whole statement ("ON CONFLICT DO UPDATE command cannot affect row a second time"). The
 * caller gives at most one row per phone (contacts are unique by workspace and phone, so two
 * rows of one phone would upsert one contact, and the same conversation). Two phones may still
 * lead to one contact found by an identity: on one channel the conversation upsert then fails the
 * statement, and the caller stores each of its rows alone; on two channels the contact is updated
 * once, with one of the two rows' values (UPDATE ... FROM applies one joined row per target row).
 * The upserts take their rows in the order of their conflict keys, so that two statements (of two
 * processes) upserting the same contacts or conversations lock them in the same order; a deadlock
 * still possible (the contacts found are updated in no set order) fails one of the statements,
 * whose rows the caller then stores alone.
 *
 * Planning: without statistics (autovacuum is off here), a join of the input with a table may be
 * planned as a scan of the whole table, kept by the prepared statement's generic plan as the table
 * grows. Each lookup is therefore a probe the planner cannot flatten (a lateral or scalar subquery
 * with `limit 1`), and the contacts to update are fetched by primary key (`= any(array)`); the
 * joins left are between the statement's own CTEs (at most a few hundred rows). A generic plan
 * made on empty tables only probes indexes once messages has 60k rows (EXPLAIN), so the statement
 * stays prepared: planning it at each call costs ~2 ms, more than storing a row.
 */
const STORE_INBOUND_SQL = `
with given as (
  select * from jsonb_to_recordset(cast(:rows as jsonb)) as r(
    ord int, channel_id uuid, now timestamptz, phone text, name text, identities jsonb,
    new_contact_id uuid, new_conversation_id uuid, from_contact boolean,
    message_id uuid, provider_message_id text, type text, body text, media jsonb, metadata jsonb,
    status_times jsonb, quoted_provider_message_id text)
),
input as (
  select given.*, ch.workspace_id
    from given
    cross join lateral (select ch.workspace_id from channels ch where ch.id = given.channel_id and ch.deleted_at is null limit 1) ch
   where (select stored.id from messages stored
           where stored.channel_id = given.channel_id and stored.provider_message_id = given.provider_message_id
           limit 1) is null
),
found as (
  select input.ord,
         coalesce(
           -- One unique-index probe per identity, however many identities the channel has.
           (select known.contact_id
              from jsonb_to_recordset(input.identities) as i(kind text, value text)
              cross join lateral (select ci.contact_id from contact_identities ci
                                   where ci.channel_id = input.channel_id and ci.kind = i.kind and ci.value = i.value
                                   limit 1) known
             limit 1),
           (select c.id from contacts c where c.workspace_id = input.workspace_id and c.phone = input.phone limit 1)
         ) as id
    from input
),
inserted_contact as (
  insert into contacts (id, workspace_id, phone, name, last_seen_at, created_at, updated_at)
  select input.new_contact_id, input.workspace_id, input.phone, input.name, case when input.from_contact then input.now end, input.now, input.now
    from input join found on found.ord = input.ord
   where found.id is null
   order by input.workspace_id, input.phone
  on conflict (workspace_id, phone) where phone is not null do update
     set name = coalesce(contacts.name, excluded.name),
         last_seen_at = greatest(contacts.last_seen_at, excluded.last_seen_at),
         updated_at = excluded.updated_at
  returning id, workspace_id, phone
),
-- Not read below: a data-modifying CTE runs whether or not the query reads it.
updated_contact as (
  update contacts c
     set name = coalesce(c.name, input.name),
         phone = coalesce(c.phone, case when (
                   select other.id from contacts other where other.workspace_id = input.workspace_id and other.phone = input.phone limit 1
                 ) is null then input.phone end),
         last_seen_at = case when input.from_contact then greatest(c.last_seen_at, input.now) else c.last_seen_at end,
         updated_at = input.now
    from found join input on input.ord = found.ord
   where c.id = any(array(select found.id from found where found.id is not null)) and c.id = found.id
     and ((c.name is null and input.name is not null)
          or (c.phone is null and input.phone is not null)
          or (input.from_contact and (c.last_seen_at is null or c.last_seen_at < input.now - interval '${LAST_SEEN_STEP_SECONDS} seconds')))
),
-- Each row's contact: the one found, or the one the insert answered,
-- which is the row's by (workspace, phone) (a conflict answers the existing contact), or by the
-- new id for a sender without a phone (no unique index, never a conflict).
contact as (
  select found.ord, found.id from found where found.id is not null
  union all
  select input.ord, inserted_contact.id
    from input join inserted_contact on inserted_contact.workspace_id = input.workspace_id and inserted_contact.phone = input.phone
  union all
  select input.ord, inserted_contact.id
    from input join inserted_contact on inserted_contact.id = input.new_contact_id
   where input.phone is null
),
new_identities as (
  insert into contact_identities (id, workspace_id, contact_id, channel_id, kind, value, created_at)
  select i.id, input.workspace_id, contact.id, input.channel_id, i.kind, i.value, input.now
    from input
    join contact on contact.ord = input.ord
    cross join lateral jsonb_to_recordset(input.identities) as i(id uuid, kind text, value text)
   order by input.channel_id, i.kind, i.value
  on conflict (channel_id, kind, value) do nothing
),
conversation as (
  insert into conversations (id, workspace_id, channel_id, contact_id, status, last_message_at, last_inbound_at, created_at, updated_at)
  select input.new_conversation_id, input.workspace_id, input.channel_id, contact.id, 'open', input.now,
         case when input.from_contact then input.now end, input.now, input.now
    from input join contact on contact.ord = input.ord
   order by input.channel_id, contact.id
  on conflict (channel_id, contact_id) where status <> 'resolved' do update
     set last_message_at = greatest(conversations.last_message_at, excluded.last_message_at),
         last_inbound_at = greatest(conversations.last_inbound_at, excluded.last_inbound_at),
         updated_at = excluded.updated_at
  returning id, channel_id, contact_id, state
),
message as (
  insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id,
                        type, text, media, metadata, status, status_times, quoted_provider_message_id, created_at)
  select input.message_id, input.workspace_id, input.channel_id, conversation.id, conversation.contact_id,
         case when input.from_contact then 'inbound' else 'outbound' end, case when input.from_contact then 'contact' else 'owner' end,
         input.provider_message_id, input.type, input.body, input.media, input.metadata,
         case when input.from_contact then 'received' else 'sent' end, input.status_times, input.quoted_provider_message_id, input.now
    from input
    join contact on contact.ord = input.ord
    join conversation on conversation.channel_id = input.channel_id and conversation.contact_id = contact.id
   order by input.ord
  on conflict (channel_id, provider_message_id) where provider_message_id is not null do nothing
  returning id, conversation_id, contact_id, workspace_id
)
select input.ord, message.workspace_id as "workspaceId", message.id as "messageId",
       message.conversation_id as "conversationId", message.contact_id as "contactId", conversation.state = 'snoozed' as "conversationSnoozed"
  from message
  join input on input.message_id = message.id
  join conversation on conversation.id = message.conversation_id`;

/** One stored row of STORE_INBOUND_SQL: the input row's `ord` and the ids of what it stored. */
const StoredInboundRow = z.object({
  ord: z.number(),
  workspaceId: z.string(),
  messageId: z.string(),
  conversationId: z.string(),
  contactId: z.string(),
  /** The conversation was snoozed when the message was stored (the inbox wakes it). */
  conversationSnoozed: z.boolean(),
});
type StoredInboundRow = z.infer<typeof StoredInboundRow>;

/**
 * Stores inbound messages with their contacts and conversations in one statement; answers one
 * result per row, in the rows' order: null when the row was a duplicate or its channel is not
 * live. Throws when the statement fails, and then stores none of them (see STORE_INBOUND_SQL for
 * the rows that may not share a statement).
 */
export async function storeInboundRows(em: EntityManager, rows: readonly InboundRow[]): Promise<(StoredInbound | null)[]> {
  const input = rows.map((row, ord) => ({
    ord,
    channel_id: row.channelId,
    now: row.now.toISOString(),
    phone: row.phone,
    name: row.name,
    identities: row.identities,
    new_contact_id: row.newContactId,
    new_conversation_id: row.newConversationId,
    from_contact: row.author === 'contact',
    message_id: row.messageId,
    provider_message_id: row.providerMessageId,
    type: row.type,
    body: row.text,
    media: row.media,
    metadata: row.metadata,
    status_times: row.statusTimes,
    quoted_provider_message_id: row.quotedProviderMessageId,
  }));
  const { rows: stored } = await runSql(em, STORE_INBOUND_SQL, { rows: JSON.stringify(input) }, { row: StoredInboundRow });
  const byOrd = new Map(stored.map(({ ord, ...ids }) => [ord, ids]));
  return rows.map((_, ord) => byOrd.get(ord) ?? null);
}

/** Stores one inbound message with its contact and conversation; null when it was a duplicate or the channel is not live. */
export async function storeInbound(em: EntityManager, row: InboundRow): Promise<StoredInbound | null> {
  const [stored] = await storeInboundRows(em, [row]);
  return stored ?? null;
}
