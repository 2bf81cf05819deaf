import type { EntityManager } from '@mikro-orm/postgresql';
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
export interface StoredInbound {
  workspaceId: string;
  messageId: string;
  conversationId: string;
  contactId: string;
}

/*
 * One statement (one round trip) finds the channel's workspace and stores the contact, its
 * identities, the conversation and the message. It stores nothing when the channel is unknown or
 * deleted, or when a message with this provider id is stored already (a redelivery moves no
 * activity time); the caller then finds out which. Data-modifying CTEs share one snapshot, so
 * every step that may race with another accept relies on a unique index instead of on what it read:
 * - contact: found by a known identity on this channel first, then by (workspace, phone);
 *   otherwise inserted, ON CONFLICT on contacts_workspace_phone (a concurrent insert of the
 *   same phone becomes an update of that row). Senders without a phone are serialised by the
 *   caller with an advisory lock, since no unique index covers them.
 * - identities: ON CONFLICT (channel_id, kind, value) DO NOTHING: an identity already owned by
 *   another contact stays with it (contacts are never merged here).
 * - conversation: ON CONFLICT on the partial index conversations_active: the open conversation
 *   is bumped; a resolved one does not conflict, so a new one is created.
 * - message: ON CONFLICT on messages_channel_provider_id DO NOTHING: a concurrent duplicate
 *   waits for the first to commit, then inserts nothing; the caller reports the first message.
 * A statement is atomic on its own, so a sender with a phone needs no explicit transaction (one
 * round trip instead of three). The loser of a concurrent duplicate adds no row; its upserts only
 * move last_seen_at / last_message_at to its own acceptance time, a few milliseconds apart.
 * A contact found by identity gets the phone only when no other contact of the workspace has it.
 */
const STORE_INBOUND_SQL = `
with input as (
  select ch.workspace_id,
         ch.id as channel_id,
         cast(:now as timestamptz) as now,
         cast(:phone as text) as phone,
         cast(:name as text) as name,
         cast(:newContactId as uuid) as new_contact_id,
         cast(:newConversationId as uuid) as new_conversation_id,
         cast(:fromContact as boolean) as from_contact
    from channels ch
   where ch.id = cast(:channelId as uuid) and ch.deleted_at is null
     and not exists (select 1 from messages stored where stored.channel_id = ch.id and stored.provider_message_id = cast(:providerMessageId as text))
),
identity as (
  select * from jsonb_to_recordset(cast(:identities as jsonb)) as i(id uuid, kind text, value text)
),
found as (
  select candidate.id from (
    -- A scalar subquery per identity: one unique-index probe each, however many identities the
    -- channel has. (A lateral join was flattened by the generic plan of the prepared statement
    -- into a scan of every identity of the channel.)
    select known.id, 0 as preference from (
      select (select ci.contact_id from contact_identities ci
               where ci.channel_id = input.channel_id and ci.kind = i.kind and ci.value = i.value) as id
        from identity i cross join input
    ) known
     where known.id is not null
    union all
    select c.id, 1 from contacts c, input
     where c.workspace_id = input.workspace_id and c.phone = input.phone
  ) candidate
  order by candidate.preference
  limit 1
),
inserted_contact as (
  insert into contacts (id, workspace_id, phone, name, last_seen_at, created_at, updated_at)
  select new_contact_id, workspace_id, phone, name, case when from_contact then now end, now, now from input
   where not exists (select 1 from found)
  on conflict (workspace_id, phone) where phone is not null do update
     set name = coalesce(contacts.name, excluded.name),
         last_seen_at = greatest(contacts.last_seen_at, excluded.last_seen_at),
         updated_at = excluded.updated_at
  returning id
),
updated_contact as (
  update contacts c
     set name = coalesce(c.name, input.name),
         phone = coalesce(c.phone, case when not exists (
                   select 1 from contacts other where other.workspace_id = input.workspace_id and other.phone = input.phone
                 ) then input.phone end),
         last_seen_at = case when input.from_contact then greatest(c.last_seen_at, input.now) else c.last_seen_at end,
         updated_at = input.now
    from found, input
   where c.id = found.id
  returning c.id
),
contact as (
  select id from inserted_contact union all select id from updated_contact
),
new_identities as (
  insert into contact_identities (id, workspace_id, contact_id, channel_id, kind, value, created_at)
  select i.id, input.workspace_id, contact.id, input.channel_id, i.kind, i.value, input.now
    from identity i, contact, input
   order by i.kind, i.value
  on conflict (channel_id, kind, value) do nothing
),
conversation as (
  insert into conversations (id, workspace_id, channel_id, contact_id, status, last_message_at, last_inbound_at, created_at, updated_at)
  select input.new_conversation_id, input.workspace_id, input.channel_id, contact.id, 'open', input.now,
         case when input.from_contact then input.now end, input.now, input.now
    from input, contact
  on conflict (channel_id, contact_id) where status <> 'resolved' do update
     set last_message_at = greatest(conversations.last_message_at, excluded.last_message_at),
         last_inbound_at = greatest(conversations.last_inbound_at, excluded.last_inbound_at),
         updated_at = excluded.updated_at
  returning id, contact_id
),
message as (
  insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id,
                        type, text, media, metadata, status, status_times, quoted_provider_message_id, created_at)
  select cast(:messageId as uuid), input.workspace_id, input.channel_id, conversation.id, conversation.contact_id,
         case when input.from_contact then 'inbound' else 'outbound' end, case when input.from_contact then 'contact' else 'owner' end,
         cast(:providerMessageId as text), cast(:messageType as text), cast(:body as text), cast(:media as jsonb), cast(:metadata as jsonb),
         case when input.from_contact then 'received' else 'sent' end, cast(:statusTimes as jsonb), cast(:quotedProviderMessageId as text), input.now
    from input, conversation
  on conflict (channel_id, provider_message_id) where provider_message_id is not null do nothing
  returning id, conversation_id, contact_id, workspace_id
)
select workspace_id as "workspaceId", id as "messageId", conversation_id as "conversationId", contact_id as "contactId" from message`;

/** Stores one inbound message with its contact and conversation; null when it was a duplicate or the channel is not live. */
export async function storeInbound(em: EntityManager, row: InboundRow): Promise<StoredInbound | null> {
  const { rows } = await runSql<StoredInbound>(em, STORE_INBOUND_SQL, {
    channelId: row.channelId,
    now: row.now,
    phone: row.phone,
    name: row.name,
    newContactId: row.newContactId,
    newConversationId: row.newConversationId,
    fromContact: row.author === 'contact',
    identities: JSON.stringify(row.identities),
    messageId: row.messageId,
    providerMessageId: row.providerMessageId,
    messageType: row.type,
    body: row.text,
    media: row.media === null ? null : JSON.stringify(row.media),
    metadata: JSON.stringify(row.metadata),
    statusTimes: JSON.stringify(row.statusTimes),
    quotedProviderMessageId: row.quotedProviderMessageId,
  });
  return rows[0] ?? null;
}
