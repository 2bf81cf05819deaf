import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { SkipReason } from '../../engine/broadcasts/broadcast-state.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { SegmentContactColumns } from './segment-scan.ts';

/** A pending recipient of a batch, with what its message and consent check need: its contact's fields as a segment reads them. */
const PendingRecipient = SegmentContactColumns.omit({ id: true, lastSeenAt: true }).extend({
  id: z.string(),
  contactId: z.string(),
});
export type PendingRecipient = z.infer<typeof PendingRecipient>;

/*
 * `skip locked`: two jobs of the same batch (a duplicate added by the reconciler) split it
 * rather than both taking every recipient. Contacts are not locked: a STOP committed after this
 * read is caught when the message is claimed for sending, which reads the contact again.
 */
const PENDING_SQL = `
select r.id, r.contact_id as "contactId", c.name, c.phone, c.tags, c.attributes,
       c.opted_out_at as "optedOutAt", c.restricted_at as "restrictedAt", c.erased_at as "erasedAt"
  from broadcast_recipients r join contacts c on c.id = r.contact_id
 where r.broadcast_id = :broadcastId and r.batch = :batch and r.state = 'pending'
 order by c.id
   for no key update of r skip locked`;

export async function lockPendingRecipients(em: EntityManager, broadcastId: string, batch: number): Promise<PendingRecipient[]> {
  return (await runSql(em, PENDING_SQL, { broadcastId, batch }, { row: PendingRecipient })).rows;
}

const SKIP_SQL = `
update broadcast_recipients r set state = 'skipped', skip_reason = s.reason, updated_at = :now
  from unnest(cast(:ids as uuid[]), cast(:reasons as text[])) as s(id, reason)
 where r.id = s.id and r.state = 'pending'`;

export async function skipRecipients(em: EntityManager, skips: readonly { id: string; reason: SkipReason }[], now: Date): Promise<void> {
  if (skips.length === 0) return;
  await runSql(em, SKIP_SQL, { ids: skips.map((s) => s.id), reasons: skips.map((s) => s.reason), now });
}

const MARK_QUEUED_SQL = `
update broadcast_recipients r set state = 'queued', message_id = q.message_id, run_id = q.run_id, updated_at = :now
  from unnest(cast(:ids as uuid[]), cast(:messageIds as uuid[]), cast(:runIds as uuid[])) as q(id, message_id, run_id)
 where r.id = q.id and r.state = 'pending'`;

/** Records that each recipient's message (or run) exists. */
export async function markRecipientsQueued(
  em: EntityManager,
  queued: readonly { id: string; messageId: string | null; runId: string | null }[],
  now: Date,
): Promise<void> {
  if (queued.length === 0) return;
  await runSql(em, MARK_QUEUED_SQL, {
    ids: queued.map((q) => q.id),
    messageIds: queued.map((q) => q.messageId),
    runIds: queued.map((q) => q.runId),
    now,
  });
}

/*
 * One statement inserts the missing conversations and reads the existing ones. A conversation
 * another transaction commits meanwhile is neither inserted (conflict) nor in this statement's
 * snapshot: `ensureConversations` reads those again.
 */
const ENSURE_CONVERSATIONS_SQL = `
with wanted as (
  select * from unnest(cast(:ids as uuid[]), cast(:contactIds as uuid[])) as w(id, contact_id)
),
inserted as (
  insert into conversations (id, workspace_id, channel_id, contact_id, status, last_message_at, created_at, updated_at)
  select w.id, :workspaceId, :channelId, w.contact_id, 'open', :now, :now, :now from wanted w
  on conflict (channel_id, contact_id) where status <> 'resolved' do nothing
  returning id, contact_id
)
select id, contact_id as "contactId" from inserted
union all
select conv.id, conv.contact_id from conversations conv join wanted w on w.contact_id = conv.contact_id
 where conv.channel_id = :channelId and conv.status <> 'resolved'`;

/** A contact's open conversation (both statements above and below). */
const ContactConversationRow = z.object({ id: z.string(), contactId: z.string() });

const ACTIVE_CONVERSATIONS_SQL = `
select id, contact_id as "contactId" from conversations
 where channel_id = :channelId and contact_id = any(cast(:contactIds as uuid[])) and status <> 'resolved'`;

/** The open conversation of each contact on the channel, created where there is none. */
export async function ensureConversations(
  em: EntityManager,
  p: { workspaceId: string; channelId: string; contactIds: readonly string[]; now: Date; newId: () => string },
): Promise<Map<string, string>> {
  const byContact = new Map<string, string>();
  if (p.contactIds.length === 0) return byContact;
  const { rows } = await runSql(
    em,
    ENSURE_CONVERSATIONS_SQL,
    {
      workspaceId: p.workspaceId,
      channelId: p.channelId,
      now: p.now,
      ids: p.contactIds.map(() => p.newId()),
      contactIds: p.contactIds,
    },
    { row: ContactConversationRow },
  );
  for (const row of rows) byContact.set(row.contactId, row.id);
  const missing = p.contactIds.filter((id) => !byContact.has(id));
  if (missing.length > 0) {
    for (const row of (
      await runSql(em, ACTIVE_CONVERSATIONS_SQL, { channelId: p.channelId, contactIds: missing }, { row: ContactConversationRow })
    ).rows)
      byContact.set(row.contactId, row.id);
  }
  return byContact;
}

const DEFER_SQL = `
update broadcast_recipients set not_before = :notBefore, updated_at = :now
 where id = any(cast(:ids as uuid[])) and state = 'pending'`;

/** Records that recipients in their quiet hours wait until `notBefore` (the reconciler reads it). */
export async function deferRecipients(em: EntityManager, ids: readonly string[], notBefore: Date, now: Date): Promise<void> {
  if (ids.length === 0) return;
  await runSql(em, DEFER_SQL, { ids, notBefore, now });
}
