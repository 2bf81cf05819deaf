import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { RetentionKind } from '../../engine/retention/retention-policy.ts';
import { IdRow, runSql } from '../../platform/pipeline/run-sql.ts';
import type { ActiveHolds } from './legal-holds.sql.ts';
import { setUpCounts } from './sweep-session.sql.ts';

/** What one kind's sweep looks at: a workspace, an instant before which data is expired, the holds. */
export interface KindScope {
  workspaceId: string;
  cutoff: Date;
  holds: ActiveHolds;
  /**
   * The message_content cutoff of the same sweep (or preview), when that kind runs: the media kind
   * leaves the files of messages older than it to that kind, which deletes them with their rows.
   */
  messageCutoff?: Date | null;
}

/** Rows (and files) deleted or counted, and their size in bytes (row size on disk plus file size). */
export interface KindCount {
  rows: number;
  bytes: number;
  files: number;
}

/**
 * Where a kind's sweep goes on from: per table, the time key (as PostgreSQL text, to the
 * microsecond) of the last row its previous batch selected. Kept in the sweep's progress, so a
 * resumed sweep starts there too.
 */
export type SweepCursor = Record<string, string>;

/** A batch's counts and the cursor after it. */
export interface BatchResult extends KindCount {
  cursor: SweepCursor;
}

/**
 * One data kind's SQL: `preview` counts what a sweep would delete now; `deleteBatch` deletes at
 * most `limit` of the oldest expired rows after `cursor` (by their time-ordered key) in the
 * caller's transaction, and queues their files for deletion in the same transaction. Rows of
 * contacts and conversations under a legal hold are never selected; runs that are running or
 * waiting, inbound messages the engine has not handled and outbound messages still queued neither.
 *
 * How a batch stays cheap at any table size (measured with EXPLAIN (ANALYZE, BUFFERS), see
 * README.md "Sweep speed"):
 * - the candidates come from an index on `(workspace_id, <time key>)`, starting at the cursor
 *   (`>=`, ties included): a batch never walks back over the index entries of rows deleted by
 *   earlier batches (with no vacuum between batches they are still in the index, and a scan from
 *   the start of the range would step over all of them, batch after batch);
 * - the rows are deleted by their `ctid` (`= any(array(…))`: a TID scan), never through a join
 *   that the planner may turn into a sequential scan and a hash of the whole table;
 * - children in the same statement by their indexed parent key (`run_id = any(…)`);
 * - no `for update` before the delete: locking a row first writes it (and its WAL record) twice,
 *   which cost a third more per batch. The delete itself waits for a row that a live transaction
 *   holds; a row changed meanwhile has a new ctid, so the recheck passes it over; a deadlock with a
 *   concurrent erasure aborts the batch, which the sweep retries (isRetryableBatchError).
 * Rows passed over (changed under the batch, held, not yet handled) are behind the cursor: the
 * next sweep looks at them again.
 */
export interface KindSql {
  preview(em: EntityManager, scope: KindScope): Promise<KindCount>;
  deleteBatch(em: EntityManager, scope: KindScope, limit: number, cursor: SweepCursor): Promise<BatchResult>;
}

/** A batch that lost a deadlock or a serialization race: nothing of it was committed, run it again. */
export function isRetryableBatchError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** The cursor before a table's first batch. */
const START = '-infinity';

function bind(scope: KindScope, limit?: number): Record<string, unknown> {
  return {
    workspaceId: scope.workspaceId,
    cutoff: scope.cutoff,
    heldContacts: scope.holds.contactIds,
    heldConversations: scope.holds.conversationIds,
    // '-infinity': no message row is deleted by the message kind, so the media kind takes every file.
    messageCutoff: scope.messageCutoff ?? '-infinity',
    ...(limit === undefined ? {} : { limit }),
  };
}

/** A count statement's row; `bytes` is null when nothing was counted (a sum over no rows). */
const CountRow = z.object({ rows: z.number(), bytes: z.number().nullable(), files: z.number() });
/** A batch statement's row: its counts and `after`, Postgres' text of a timestamp (microseconds kept), null when it selected nothing. */
const BatchRow = CountRow.extend({ after: z.string().nullable() });

function toCount(row: z.infer<typeof CountRow> | undefined): KindCount {
  return { rows: row?.rows ?? 0, bytes: row?.bytes ?? 0, files: row?.files ?? 0 };
}

async function one(em: EntityManager, sql: string, bindings: Record<string, unknown>): Promise<KindCount> {
  // Planned per call: the counts and cutoffs vary a lot between workspaces and runs.
  return toCount((await runSql(em, sql, bindings, { row: CountRow, planEachCall: true })).rows[0]);
}

/** Runs a batch statement whose row has `after` (the last time key it selected) and moves the table's cursor. */
async function batch(
  em: EntityManager,
  table: string,
  cursor: SweepCursor,
  sql: string,
  bindings: Record<string, unknown>,
): Promise<BatchResult> {
  const row = (await runSql(em, sql, { ...bindings, after: cursor[table] ?? START }, { row: BatchRow, planEachCall: true })).rows[0];
  return { ...toCount(row), cursor: row?.after ? { ...cursor, [table]: row.after } : cursor };
}

const NOT_HELD = (alias: string) =>
  `${alias}.contact_id <> all(cast(:heldContacts as uuid[])) and ${alias}.conversation_id <> all(cast(:heldConversations as uuid[]))`;

/** A message the sweep may delete once expired: settled (handled or sent). */
const SETTLED = (alias: string) => `${alias}.status <> 'queued' and (${alias}.direction = 'outbound' or ${alias}.handled_at is not null)`;

/** Messages the sweep may delete: expired, settled, not held. */
const EXPIRED_MESSAGES = `from messages m
 where m.workspace_id = :workspaceId and m.created_at < :cutoff
   and ${SETTLED('m')}
   and ${NOT_HELD('m')}`;

const messageContent: KindSql = {
  preview: (em, scope) =>
    one(
      em,
      `select count(*) as rows, sum(pg_column_size(m.*) + coalesce(cast(m.media ->> 'sizeBytes' as bigint), 0)) as bytes, count(m.media -> 'storageKey') as files ${EXPIRED_MESSAGES}`,
      bind(scope),
    ),
  // A message's file goes with its row (queued for deletion here), and the WhatsApp copy of what we sent.
  deleteBatch: (em, scope, limit, cursor) =>
    batch(
      em,
      'messages',
      cursor,
      `with doomed as (select m.ctid as tid, m.created_at ${EXPIRED_MESSAGES} and m.created_at >= cast(:after as timestamptz)
                        order by m.created_at limit :limit),
       gone as (delete from messages m where m.ctid = any(array(select tid from doomed))
                returning m.channel_id, m.provider_message_id, m.direction, m.media ->> 'storageKey' as key,
                          pg_column_size(m.*) + coalesce(cast(m.media ->> 'sizeBytes' as bigint), 0) as bytes),
       files as (insert into pending_file_deletions (kind, key) select 'media', key from gone where key is not null on conflict do nothing),
       sent as (delete from whatsapp_sent_content w using gone g where g.direction = 'outbound' and w.channel_id = g.channel_id and w.wa_message_id = g.provider_message_id)
       select count(*) as rows, sum(bytes) as bytes, count(key) as files, (select cast(max(created_at) as text) from doomed) as after from gone`,
      bind(scope, limit),
    ),
};

/**
 * Media files only: the message row stays (its text, its time), its file goes and the row says so.
 * A message the message kind deletes in the same sweep (older than its cutoff, settled) is left to
 * it: that kind queues the file in the transaction that deletes the row. Updating such a row first
 * cost a new row version and an entry in each of the table's indexes, each on a page of its own:
 * 16 KB of WAL per file (measured, EXPLAIN (ANALYZE, WAL): 65 MB for a batch of 4,081) against
 * about 250 bytes for deleting a message, for a row deleted moments later (README "Sweep speed").
 *
 * The files the media kind takes, as two disjoint sets, each read through an index that holds
 * only its candidates (the same rows as "has a file, older than the cutoff, not queued, not held,
 * and not a settled message older than the message cutoff"):
 * - `younger`: messages between the message cutoff and the media cutoff (empty when the media
 *   period is not shorter than the message period, as in the defaults), through
 *   `messages_media_files (workspace_id, created_at)`;
 * - `unsettled`: older than both cutoffs but not settled and not queued, i.e. inbound messages the
 *   engine has not handled, through the partial index `messages_unhandled` (its predicate,
 *   `direction = 'inbound' and handled_at is null`, is written out so the planner can use it).
 * As one condition over the range up to the cutoff, the scan visited every expired message with a
 * file, one in 49 rows of the bench, i.e. nearly every heap page of the expired range, twice per
 * sweep (the count and a first batch that found nothing): about 27,000 pages read through a buffer
 * pool of 16,384 for 1,000,000 expired messages, which evicted the live traffic's pages and
 * dirtied thousands more (hint bits), for no file (README "Sweep speed").
 */
const MEDIA_FILE = (alias: string) =>
  `${alias}.workspace_id = :workspaceId and ${alias}.media ? 'storageKey' and ${alias}.status <> 'queued' and ${NOT_HELD(alias)}`;
const EXPIRED_MEDIA_YOUNGER = `from messages m
 where ${MEDIA_FILE('m')} and m.created_at >= cast(:messageCutoff as timestamptz) and m.created_at < :cutoff`;
const EXPIRED_MEDIA_UNSETTLED = `from messages m
 where m.direction = 'inbound' and m.handled_at is null and ${MEDIA_FILE('m')}
   and m.created_at < least(cast(:cutoff as timestamptz), cast(:messageCutoff as timestamptz))`;

/** Both sets (a row is in one at most), with the columns `cols`. */
const expiredMedia = (cols: string) => `select ${cols} ${EXPIRED_MEDIA_YOUNGER} union all select ${cols} ${EXPIRED_MEDIA_UNSETTLED}`;

const mediaFiles: KindSql = {
  preview: (em, scope) =>
    one(
      em,
      `select count(*) as rows, sum(bytes) as bytes, count(*) as files
         from (${expiredMedia(`coalesce(cast(m.media ->> 'sizeBytes' as bigint), 0) as bytes`)}) m`,
      bind(scope),
    ),
  deleteBatch: (em, scope, limit, cursor) => {
    const cols = `m.ctid as tid, m.created_at, m.media ->> 'storageKey' as key, coalesce(cast(m.media ->> 'sizeBytes' as bigint), 0) as bytes`;
    const and = `and m.created_at >= cast(:after as timestamptz) order by m.created_at limit :limit`;
    return batch(
      em,
      'messages',
      cursor,
      `with doomed as ((select ${cols} ${EXPIRED_MEDIA_YOUNGER} ${and}) union all (select ${cols} ${EXPIRED_MEDIA_UNSETTLED} ${and})
                        order by created_at limit :limit),
       changed as (update messages m set media = (m.media - 'storageKey') || jsonb_build_object('removedAt', cast(:cutoff as timestamptz))
                     where m.ctid = any(array(select tid from doomed)) returning m.media),
       files as (insert into pending_file_deletions (kind, key) select 'media', key from doomed on conflict do nothing)
       select (select count(*) from changed) as rows, sum(d.bytes) as bytes, count(*) as files, cast(max(d.created_at) as text) as after from doomed d`,
      bind(scope, limit),
    );
  },
};

/** Finished runs (never running or waiting) that ended before the cutoff, with their steps. */
const EXPIRED_RUNS = `from runs r
 where r.workspace_id = :workspaceId and r.started_at < :cutoff and r.status in ('completed', 'failed', 'stopped')
   and coalesce(r.ended_at, r.updated_at) < :cutoff
   and (r.contact_id is null or r.contact_id <> all(cast(:heldContacts as uuid[])))
   and (r.conversation_id is null or r.conversation_id <> all(cast(:heldConversations as uuid[])))`;

/** Runs per batch: a batch's rows are its runs and their steps (a handful each). */
const STEPS_PER_RUN_GUESS = 4;

const runSteps: KindSql = {
  preview: (em, scope) =>
    one(
      em,
      `with doomed as (select r.id, pg_column_size(r.*) as bytes ${EXPIRED_RUNS}),
       steps as (select count(*) as n, sum(pg_column_size(s.*)) as bytes from run_steps s join doomed d on d.id = s.run_id)
       select (select count(*) from doomed) + (select n from steps) as rows, coalesce((select sum(bytes) from doomed), 0) + coalesce((select bytes from steps), 0) as bytes, 0 as files`,
      bind(scope),
    ),
  // Children before parents: the steps (by their run, through run_steps (run_id, seq)), then their runs, in one statement.
  deleteBatch: (em, scope, limit, cursor) =>
    batch(
      em,
      'runs',
      cursor,
      `with doomed as (select r.ctid as tid, r.id, r.started_at ${EXPIRED_RUNS} and r.started_at >= cast(:after as timestamptz)
                        order by r.started_at limit :limit),
       steps as (delete from run_steps s where s.run_id = any(array(select id from doomed)) returning pg_column_size(s.*) as bytes),
       runs as (delete from runs r where r.ctid = any(array(select tid from doomed)) returning pg_column_size(r.*) as bytes)
       select (select count(*) from steps) + (select count(*) from runs) as rows,
              coalesce((select sum(bytes) from steps), 0) + coalesce((select sum(bytes) from runs), 0) as bytes, 0 as files,
              (select cast(max(started_at) as text) from doomed) as after`,
      { ...bind(scope), limit: Math.max(1, Math.floor(limit / STEPS_PER_RUN_GUESS)) },
    ),
};

/** Recipient rows of broadcasts that finished before the cutoff (a broadcast's rows share its time: no cursor). */
const EXPIRED_RECIPIENTS = `from broadcasts b join broadcast_recipients r on r.broadcast_id = b.id
 where b.workspace_id = :workspaceId and b.state in ('completed', 'cancelled', 'failed') and coalesce(b.finished_at, b.updated_at) < :cutoff
   and (r.contact_id is null or r.contact_id <> all(cast(:heldContacts as uuid[])))`;

const broadcastRecipients: KindSql = {
  preview: (em, scope) =>
    one(em, `select count(*) as rows, sum(pg_column_size(r.*)) as bytes, 0 as files ${EXPIRED_RECIPIENTS}`, bind(scope)),
  deleteBatch: async (em, scope, limit, cursor) => ({
    ...(await one(
      em,
      `with doomed as (select r.ctid as tid ${EXPIRED_RECIPIENTS} limit :limit),
       gone as (delete from broadcast_recipients r where r.ctid = any(array(select tid from doomed)) returning pg_column_size(r.*) as bytes)
       select count(*) as rows, sum(bytes) as bytes, 0 as files from gone`,
      bind(scope, limit),
    )),
    cursor,
  }),
};

/** A table keyed by (workspace_id, created_at) with no contact to hold: usage events, the audit log. */
function byCreatedAt(table: 'usage_events' | 'audit_log'): KindSql {
  const expired = `from ${table} t where t.workspace_id = :workspaceId and t.created_at < :cutoff`;
  return {
    preview: (em, scope) => one(em, `select count(*) as rows, sum(pg_column_size(t.*)) as bytes, 0 as files ${expired}`, bind(scope)),
    deleteBatch: (em, scope, limit, cursor) =>
      batch(
        em,
        table,
        cursor,
        `with doomed as (select t.ctid as tid, t.created_at ${expired} and t.created_at >= cast(:after as timestamptz) order by t.created_at limit :limit),
         gone as (delete from ${table} t where t.ctid = any(array(select tid from doomed)) returning pg_column_size(t.*) as bytes)
         select count(*) as rows, sum(bytes) as bytes, 0 as files, (select cast(max(created_at) as text) from doomed) as after from gone`,
        bind(scope, limit),
      ),
  };
}

/**
 * Conversation events and notes (the support inbox's tables, issue 15). Written against the
 * schema as it is found: a table that does not exist yet (or lacks `workspace_id`/`created_at`)
 * is skipped; one with `conversation_id` honours conversation and contact holds through it.
 */
export const CONVERSATION_EVENT_TABLES = ['conversation_events', 'conversation_notes'] as const;

const ColumnNameRow = z.object({ column: z.string() });

async function tableColumns(em: EntityManager, table: string): Promise<Set<string>> {
  const rows = (
    await runSql(
      em,
      `select column_name as "column" from information_schema.columns where table_schema = current_schema() and table_name = :table`,
      { table },
      { row: ColumnNameRow },
    )
  ).rows;
  return new Set(rows.map((r) => r.column));
}

function conversationTableSql(table: string, columns: Set<string>): { expired: string } | null {
  if (!columns.has('workspace_id') || !columns.has('created_at')) return null;
  const held = columns.has('conversation_id')
    ? `and not exists (select 1 from conversations c where c.id = t.conversation_id
                          and (c.id = any(cast(:heldConversations as uuid[])) or c.contact_id = any(cast(:heldContacts as uuid[]))))`
    : columns.has('contact_id')
      ? `and (t.contact_id is null or t.contact_id <> all(cast(:heldContacts as uuid[])))`
      : '';
  return { expired: `from ${table} t where t.workspace_id = :workspaceId and t.created_at < :cutoff ${held}` };
}

const conversationEvents: KindSql = {
  async preview(em, scope) {
    const total: KindCount = { rows: 0, bytes: 0, files: 0 };
    for (const table of CONVERSATION_EVENT_TABLES) {
      const sql = conversationTableSql(table, await tableColumns(em, table));
      if (!sql) continue;
      const c = await one(em, `select count(*) as rows, sum(pg_column_size(t.*)) as bytes, 0 as files ${sql.expired}`, bind(scope));
      total.rows += c.rows;
      total.bytes += c.bytes;
    }
    return total;
  },
  async deleteBatch(em, scope, limit, cursor) {
    for (const table of CONVERSATION_EVENT_TABLES) {
      const sql = conversationTableSql(table, await tableColumns(em, table));
      if (!sql) continue;
      const c = await batch(
        em,
        table,
        cursor,
        `with doomed as (select t.ctid as tid, t.created_at ${sql.expired} and t.created_at >= cast(:after as timestamptz) order by t.created_at limit :limit),
         gone as (delete from ${table} t where t.ctid = any(array(select tid from doomed)) returning pg_column_size(t.*) as bytes)
         select count(*) as rows, sum(bytes) as bytes, 0 as files, (select cast(max(created_at) as text) from doomed) as after from gone`,
        bind(scope, limit),
      );
      if (c.rows > 0) return c;
      cursor = c.cursor;
    }
    return { rows: 0, bytes: 0, files: 0, cursor };
  },
};

/** The SQL of each kind the sweep deletes by statement; `inactive_contacts` goes through erasure. */
export const KIND_SQL: Record<Exclude<RetentionKind, 'inactive_contacts'>, KindSql> = {
  media_files: mediaFiles,
  message_content: messageContent,
  run_steps: runSteps,
  conversation_events: conversationEvents,
  broadcast_recipients: broadcastRecipients,
  usage_data: byCreatedAt('usage_events'),
  audit_log: byCreatedAt('audit_log'),
};

/** Contacts with no activity since the cutoff, not held, with no waiting run. */
const INACTIVE_CONTACTS = `from contacts c
 where c.workspace_id = :workspaceId and coalesce(c.last_seen_at, c.created_at) < :cutoff
   and c.id <> all(cast(:heldContacts as uuid[]))
   and not exists (select 1 from conversations v where v.contact_id = c.id and (v.id = any(cast(:heldConversations as uuid[])) or v.last_message_at >= :cutoff))
   and not exists (select 1 from runs r where r.contact_id = c.id and r.status in ('running', 'waiting'))`;

export async function previewInactiveContacts(em: EntityManager, scope: KindScope): Promise<KindCount> {
  return one(em, `select count(*) as rows, sum(pg_column_size(c.*)) as bytes, 0 as files ${INACTIVE_CONTACTS}`, bind(scope));
}

/**
 * What `kind` would delete now, counted as a sweep counts it: in a transaction of its own, set up
 * by setUpCounts (named in pg_stat_activity, one process: no parallel workers). The one count of a
 * kind, for a sweep's totals and for the preview an admin asks for.
 */
export async function countKind(em: EntityManager, kind: RetentionKind, scope: KindScope): Promise<KindCount> {
  return em.transactional(async (tx) => {
    await setUpCounts(tx);
    return kind === 'inactive_contacts' ? previewInactiveContacts(tx, scope) : KIND_SQL[kind].preview(tx, scope);
  });
}

export async function inactiveContactIds(em: EntityManager, scope: KindScope, limit: number): Promise<string[]> {
  return (
    await runSql(em, `select c.id ${INACTIVE_CONTACTS} order by c.created_at limit :limit for update skip locked`, bind(scope, limit), {
      row: IdRow,
      planEachCall: true,
    })
  ).rows.map((r) => r.id);
}
