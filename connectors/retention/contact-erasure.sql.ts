import { createHmac } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { IdRow, runSql } from '../../platform/pipeline/run-sql.ts';
import { emitEvent } from '../../platform/webhooks/webhook-events.ts';
import { contactErasedEvent } from '../../platform/webhooks/event-payloads.ts';

/**
 * A salted hash of an erased contact's phone, for the audit log: whoever holds the installation's
 * key and the phone can tell that this number was erased; the log alone reveals nothing.
 */
export function phoneHash(secretKey: Buffer, workspaceId: string, phone: string): string {
  return createHmac('sha256', secretKey).update(`contact-erasure:${workspaceId}:${phone}`).digest('hex');
}

/** What an erasure removed, for the audit entry (counts only) and the cleanup after commit. */
export interface ErasureResult {
  phoneHash: string | null;
  counts: { messages: number; conversations: number; runs: number; files: number; broadcastRecipients: number; otherRows: number };
  /** Jobs that may still name the contact's messages and runs in Redis. */
  jobs: { messageIds: string[]; channelIds: string[]; timers: { runId: string; waitSeq: number }[] };
}

/** Tables erasure handles on its own terms (not by the generic delete of rows naming the contact). */
const HANDLED_APART = new Set(['contacts', 'conversations', 'broadcast_recipients', 'legal_holds']);

const ReferencingColumnRow = z.object({ table: z.string(), column: z.string(), refers: z.enum(['contact', 'conversation']) });
type ReferencingColumn = z.infer<typeof ReferencingColumnRow>;
const ContactPhoneRow = z.object({ phone: z.string().nullable() });
const IdentityRow = z.object({ kind: z.string(), value: z.string() });
const MessageChannelRow = z.object({ id: z.string(), channelId: z.string() });
const WaitingRunRow = z.object({ runId: z.string(), waitSeq: z.number() });
/** A broadcast's audience as erasure edits it; its other fields are kept as they are (written back whole). */
const AudienceRow = z.object({
  id: z.string(),
  audience: z.looseObject({ kind: z.string(), phones: z.array(z.string()).optional(), csv: z.string().optional() }),
});

/**
 * Every (table, column) that refers to a contact or one of its conversations: foreign keys to
 * `contacts` / `conversations`, and columns named `contact_id` / `conversation_id` without one.
 * Read from the schema at each erasure, so a table added later is erased too.
 */
async function referencingColumns(em: EntityManager): Promise<ReferencingColumn[]> {
  const rows = (
    await runSql(
      em,
      `select distinct tc.relname as "table", a.attname as "column", case rc.relname when 'contacts' then 'contact' else 'conversation' end as refers
         from pg_constraint k
         join pg_class tc on tc.oid = k.conrelid
         join pg_class rc on rc.oid = k.confrelid
         join pg_namespace n on n.oid = tc.relnamespace
         join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
        where k.contype = 'f' and n.nspname = current_schema() and rc.relname in ('contacts', 'conversations') and cardinality(k.conkey) = 1
       union
       select c.table_name, c.column_name, case c.column_name when 'contact_id' then 'contact' else 'conversation' end
         from information_schema.columns c join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = current_schema() and t.table_type = 'BASE TABLE' and c.column_name in ('contact_id', 'conversation_id')`,
      {},
      { row: ReferencingColumnRow },
    )
  ).rows;
  return rows.filter((r) => !HANDLED_APART.has(r.table));
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The user parts of a contact's WhatsApp ids (phone digits, JID and LID users), as Baileys keys its signal rows. */
function whatsappUsers(phone: string | null, identities: { kind: string; value: string }[]): string[] {
  const users = new Set<string>();
  if (phone) users.add(phone.replace(/^\+/, ''));
  for (const i of identities) if (i.kind === 'wa_jid' || i.kind === 'wa_lid') users.add(i.value.split('@')[0]!.split(':')[0]!);
  return [...users].filter((u) => u.length > 0);
}

/**
 * Erases one contact inside the caller's transaction, which has checked its legal holds and
 * locked its row. Removes the contact and everything that names it: identities, conversations,
 * messages (their media files are queued for deletion in this transaction), runs and their
 * steps, notes and conversation events, consent history, exports (files too), the WhatsApp
 * content we sent them and the signal sessions and LID mappings of their number, their phone in
 * broadcast audiences; their broadcast recipient rows become anonymous tombstones so broadcast
 * totals still add up; ids in usage paths and audit targets are blanked. Null when the contact
 * is not in the workspace.
 */
export async function eraseContactInTx(
  em: EntityManager,
  p: { workspaceId: string; contactId: string; secretKey: Buffer; now: Date },
): Promise<ErasureResult | null> {
  const contact = (
    await runSql(em, `select phone from contacts where id = :contactId and workspace_id = :workspaceId for update`, p, {
      row: ContactPhoneRow,
    })
  ).rows[0];
  if (!contact) return null;
  const ids = { contactId: p.contactId, workspaceId: p.workspaceId };
  const identities = (
    await runSql(
      em,
      `select kind, value from contact_identities where contact_id = :contactId`,
      { contactId: p.contactId },
      { row: IdentityRow },
    )
  ).rows;
  const conversationIds = (
    await runSql(em, `select id from conversations where contact_id = :contactId`, { contactId: p.contactId }, { row: IdRow })
  ).rows.map((r) => r.id);
  const messages = (
    await runSql(
      em,
      `select id, channel_id as "channelId" from messages where contact_id = :contactId`,
      { contactId: p.contactId },
      { row: MessageChannelRow },
    )
  ).rows;
  const timers = (
    await runSql(
      em,
      `select id as "runId", step_count as "waitSeq" from runs where (contact_id = :contactId or conversation_id = any(cast(:conversationIds as uuid[]))) and status = 'waiting'`,
      { contactId: p.contactId, conversationIds },
      { row: WaitingRunRow },
    )
  ).rows;

  // Files first: their keys are queued in this transaction, removed from disk after commit.
  const files = await runSql(
    em,
    `insert into pending_file_deletions (kind, key)
     select 'media', media ->> 'storageKey' from messages where contact_id = :contactId and media ? 'storageKey'
     union select 'export', file_key from contact_exports where contact_id = :contactId and file_key is not null
     on conflict do nothing`,
    { contactId: p.contactId },
  );
  await runSql(
    em,
    `delete from whatsapp_sent_content w using messages m
      where m.contact_id = :contactId and m.direction = 'outbound' and m.provider_message_id is not null
        and w.channel_id = m.channel_id and w.wa_message_id = m.provider_message_id`,
    { contactId: p.contactId },
  );
  const users = whatsappUsers(contact.phone, identities);
  if (users.length > 0) {
    await runSql(
      em,
      `delete from whatsapp_auth where channel_id in (select id from channels where workspace_id = :workspaceId and kind = 'whatsapp')
         and type not in ('creds', 'pre-key', 'app-state-sync-key', 'app-state-sync-version')
         and split_part(split_part(split_part(id, '.', 1), '_', 1), ':', 1) = any(cast(:users as text[]))`,
      { workspaceId: p.workspaceId, users },
    );
  }
  const recipients = await runSql(
    em,
    `update broadcast_recipients set contact_id = null, erased_at = :now, message_id = null, run_id = null, not_before = null,
            state = case when state = 'pending' then 'skipped' else state end,
            skip_reason = case when state = 'pending' then 'erased' else skip_reason end, updated_at = :now
      where contact_id = :contactId`,
    { contactId: p.contactId, now: p.now },
  );
  if (contact.phone) await removePhoneFromAudiences(em, p.workspaceId, contact.phone);

  // Rows naming the contact or its conversations, in every table the schema says refers to them.
  let otherRows = 0;
  let counted = { messages: 0, conversations: 0, runs: 0 };
  for (const ref of await referencingColumns(em)) {
    const key = ref.refers === 'contact' ? `= cast(:contactId as uuid)` : `= any(cast(:conversationIds as uuid[]))`;
    const res = await runSql(
      em,
      `delete from ${quoteIdent(ref.table)} where ${quoteIdent(ref.column)} ${key}`,
      ref.refers === 'contact' ? { contactId: p.contactId } : { conversationIds },
    );
    if (ref.table === 'messages' || ref.table === 'runs') counted = { ...counted, [ref.table]: counted[ref.table] + res.rowCount };
    else otherRows += res.rowCount;
  }
  const conversations = await runSql(em, `delete from conversations where contact_id = :contactId`, { contactId: p.contactId });
  counted.conversations = conversations.rowCount;

  // Ids left in usage paths (`/api/v1/contacts/<id>`) and audit targets would point at the person.
  for (const id of [p.contactId, ...conversationIds]) {
    await runSql(
      em,
      `update usage_events set path = replace(path, :id, ':erased') where workspace_id = :workspaceId and path like :pattern`,
      { id, workspaceId: p.workspaceId, pattern: `%${id}%` },
    );
  }
  await runSql(em, `update audit_log set target_id = null where target_id = any(cast(:ids as uuid[]))`, {
    ids: [p.contactId, ...conversationIds],
  });
  await runSql(em, `delete from contacts where id = :contactId and workspace_id = :workspaceId`, ids);
  await emitEvent(em, contactErasedEvent(p.workspaceId, p.contactId, p.now));

  return {
    phoneHash: contact.phone ? phoneHash(p.secretKey, p.workspaceId, contact.phone) : null,
    counts: { ...counted, files: files.rowCount, broadcastRecipients: recipients.rowCount, otherRows },
    jobs: { messageIds: messages.map((m) => m.id), channelIds: [...new Set(messages.map((m) => m.channelId))], timers },
  };
}

/** Takes the phone out of explicit broadcast audiences (a phone list, CSV lines naming it). */
async function removePhoneFromAudiences(em: EntityManager, workspaceId: string, phone: string): Promise<void> {
  const rows = (
    await runSql(
      em,
      `select id, audience from broadcasts where workspace_id = :workspaceId and audience::text like :pattern for update`,
      { workspaceId, pattern: `%${phone.replace(/^\+/, '')}%` },
      { row: AudienceRow },
    )
  ).rows;
  const digits = phone.replace(/^\+/, '');
  for (const row of rows) {
    const audience = { ...row.audience };
    if (audience.phones) audience.phones = audience.phones.filter((x) => x.replace(/\D/g, '') !== digits);
    if (audience.csv !== undefined)
      audience.csv = audience.csv
        .split('\n')
        .filter((line) => !line.split(/[,;\t]/).some((cell) => cell.replace(/\D/g, '') === digits))
        .join('\n');
    await runSql(em, `update broadcasts set audience = cast(:audience as jsonb) where id = :id`, {
      id: row.id,
      audience: JSON.stringify(audience),
    });
  }
}
