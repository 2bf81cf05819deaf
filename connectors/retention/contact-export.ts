import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ZipArchive } from 'archiver';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import type { Orm } from '../../platform/db/orm.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { exportPath, type PrivacyFiles } from './privacy-files.ts';
import { CONVERSATION_EVENT_TABLES } from './sweep-kinds.sql.ts';

/** An archive is downloadable this long after it is ready, then deleted. */
export const EXPORT_KEEP_MS = 7 * 24 * 60 * 60_000;
/** The archive's format name and version, in its manifest (see connectors/retention/EXPORT-FORMAT.md). */
export const EXPORT_FORMAT = { name: 'onemessage.contact-export', version: 2 } as const;

const ExportStatusSchema = z.enum(['queued', 'running', 'ready', 'failed', 'expired']);
export type ExportStatus = z.infer<typeof ExportStatusSchema>;

const COLUMNS = `id, workspace_id as "workspaceId", contact_id as "contactId", status, progress, file_key as "fileKey", size_bytes as "sizeBytes", error,
  requested_by as "requestedBy", created_at as "createdAt", finished_at as "finishedAt", expires_at as "expiresAt"`;
/** A row of contact_exports (COLUMNS). */
const ExportRowSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  contactId: z.string(),
  status: ExportStatusSchema,
  progress: z.number(),
  fileKey: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  error: z.string().nullable(),
  requestedBy: z.string().nullable(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
  expiresAt: z.date().nullable(),
});
export type ExportRow = z.infer<typeof ExportRowSchema>;

export async function findExport(em: EntityManager, workspaceId: string, id: string): Promise<ExportRow | null> {
  return (
    (
      await runSql(
        em,
        `select ${COLUMNS} from contact_exports where workspace_id = :workspaceId and id = :id`,
        { workspaceId, id },
        { row: ExportRowSchema },
      )
    ).rows[0] ?? null
  );
}

export async function listExports(em: EntityManager, workspaceId: string, contactId: string | null, limit: number): Promise<ExportRow[]> {
  return (
    await runSql(
      em,
      `select ${COLUMNS} from contact_exports where workspace_id = :workspaceId and (cast(:contactId as uuid) is null or contact_id = cast(:contactId as uuid)) order by created_at desc limit :limit`,
      { workspaceId, contactId, limit },
      { row: ExportRowSchema },
    )
  ).rows;
}

/** Inserts a queued export of a contact of the workspace; NotFoundError for any other id. */
export async function insertExport(
  em: EntityManager,
  p: { workspaceId: string; contactId: string; requestedBy: string | null; now: Date },
): Promise<ExportRow> {
  const row = (
    await runSql(
      em,
      `insert into contact_exports (id, workspace_id, contact_id, status, requested_by, created_at)
       select :id, workspace_id, id, 'queued', cast(:requestedBy as uuid), :now from contacts where id = :contactId and workspace_id = :workspaceId
       returning ${COLUMNS}`,
      { id: newId(), ...p },
      { row: ExportRowSchema },
    )
  ).rows[0];
  if (!row) throw new NotFoundError('contact', p.contactId);
  return row;
}

type Json = Record<string, unknown>;
/** A row of the export's statements: one jsonb object (`... as row`). */
const JsonRow = z.object({ row: z.record(z.string(), z.unknown()) });
const CountRow = z.object({ n: z.number() });
const ExistsRow = z.object({ ok: z.boolean() });

/** Rows fetched per round trip from an export's cursors: memory stays flat whatever the history's size. */
const EXPORT_PAGE_ROWS = 500;
/** Progress is written every this many messages. */
const PROGRESS_EVERY_MESSAGES = 2_000;

/**
 * The rows of `sql` (each a `row` jsonb column), read through a server-side cursor in pages of
 * EXPORT_PAGE_ROWS inside the caller's transaction. The statement is planned per call: a cursor's
 * plan depends on the contact's history.
 */
async function* cursorRows(tx: EntityManager, name: string, sql: string, bindings: Record<string, unknown>): AsyncGenerator<Json> {
  await runSql(tx, `declare ${name} no scroll cursor for ${sql}`, bindings, { planEachCall: true });
  try {
    for (;;) {
      const page = (await runSql(tx, `fetch forward ${EXPORT_PAGE_ROWS} from ${name}`, {}, { row: JsonRow })).rows;
      for (const r of page) yield r.row;
      if (page.length < EXPORT_PAGE_ROWS) return;
    }
  } finally {
    await runSql(tx, `close ${name}`);
  }
}

/** A JSON array, written element by element as the rows come: `[\n` row `,\n` row … `\n]\n`. */
async function* jsonArray(rows: AsyncIterable<Json>, each: (row: Json) => Json | Promise<Json> = (r) => r): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const row of rows) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(await each(row))}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/**
 * Appends one entry to the archive and waits until archiver has read it whole. The archive reads
 * a streamed entry only when its turn comes, and a cursor's next page must not be fetched while
 * another statement runs on the same transaction: one entry at a time keeps both true.
 */
function appendEntry(zip: ZipArchive, source: string | Readable, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEntry = (entry: { name: string }) => {
      if (entry.name !== name) return;
      done();
      resolve();
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const done = () => {
      zip.off('entry', onEntry);
      zip.off('error', onError);
    };
    zip.on('entry', onEntry);
    zip.on('error', onError);
    if (typeof source !== 'string') source.once('error', onError);
    zip.append(source, { name });
  });
}

/** The archive name of a message's media file. */
function mediaEntryName(messageId: string, storageKey: string): string {
  return `media/${messageId}-${storageKey.split('/').pop()}`;
}

/**
 * Builds a contact's export archive (the right of access and to portability): one zip with the
 * contact, its identities, conversations, messages, notes and conversation events, the runs that
 * touched them with their steps, its consent state and history, its broadcast receipts, and the
 * media files; JSON described in EXPORT-FORMAT.md. Progress (0-100) is written as it goes.
 *
 * Streamed end to end, so a contact with a long history costs no more memory than a short one:
 * rows come from server-side cursors in pages (one REPEATABLE READ, read-only transaction, so every
 * file of the archive shows the same instant), each JSON file is written to the zip as its rows
 * arrive, media files are piped from the store one at a time, and the zip goes to a file.
 */
export class ContactExportBuilder {
  constructor(private readonly deps: { orm: Orm; files: PrivacyFiles; clock: Clock; logger: Logger }) {}

  async build(exportId: string): Promise<ExportRow['status']> {
    const em = this.deps.orm.em.fork();
    const claimed = (
      await runSql(
        em,
        `update contact_exports set status = 'running', progress = 0 where id = :exportId and status in ('queued', 'running') returning ${COLUMNS}`,
        { exportId },
        { row: ExportRowSchema },
      )
    ).rows[0];
    if (!claimed) return 'expired';
    const key = `${claimed.workspaceId}/${claimed.id}.zip`;
    const path = exportPath(this.deps.files, key);
    try {
      await mkdir(dirname(path), { recursive: true });
      const out = createWriteStream(path);
      const zip = new ZipArchive({ zlib: { level: 6 } });
      const written = finished(out);
      // Awaited below; a write error before then must not count as an unhandled rejection.
      written.catch(() => undefined);
      // An archive error outside an entry (appendEntry listens during one) fails the export, not the process.
      let zipError: Error | null = null;
      zip.on('error', (err) => (zipError ??= err));
      zip.pipe(out);
      const manifest = await this.deps.orm.em
        .fork()
        .transactional((tx) => this.collect(tx, em, claimed, zip), { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true });
      await appendEntry(zip, JSON.stringify(manifest, null, 2), 'manifest.json');
      await zip.finalize();
      await written;
      if (zipError) throw zipError;
      const size = (await stat(path)).size;
      const now = this.deps.clock.now();
      await runSql(
        em,
        `update contact_exports set status = 'ready', progress = 100, file_key = :key, size_bytes = :size, finished_at = :now, expires_at = :expiresAt where id = :exportId`,
        {
          exportId,
          key,
          size,
          now,
          expiresAt: new Date(now.getTime() + EXPORT_KEEP_MS),
        },
      );
      return 'ready';
    } catch (err) {
      this.deps.logger.warn({ err, exportId }, 'contact export failed');
      await runSql(em, `insert into pending_file_deletions (kind, key) values ('export', :key) on conflict do nothing`, { key });
      await runSql(em, `update contact_exports set status = 'failed', error = :error, finished_at = :now where id = :exportId`, {
        exportId,
        error: err instanceof Error ? err.message : String(err),
        now: this.deps.clock.now(),
      });
      return 'failed';
    }
  }

  private async progress(em: EntityManager, exportId: string, percent: number): Promise<void> {
    await runSql(em, `update contact_exports set progress = :percent where id = :exportId`, { exportId, percent });
  }

  /** Writes every JSON file and media file of the archive from `tx`; progress through `em` (another connection). Returns the manifest. */
  private async collect(tx: EntityManager, em: EntityManager, e: ExportRow, zip: ZipArchive): Promise<Json> {
    const b = { contactId: e.contactId, workspaceId: e.workspaceId };
    const contact = (
      await runSql(
        tx,
        `select to_jsonb(c) - 'workspace_id' as row from contacts c where c.id = :contactId and c.workspace_id = :workspaceId`,
        b,
        { row: JsonRow },
      )
    ).rows[0]?.row;
    if (!contact) throw new NotFoundError('contact', e.contactId);
    const identities = (
      await runSql(
        tx,
        `select jsonb_build_object('channelId', channel_id, 'kind', kind, 'value', value, 'createdAt', created_at) as row from contact_identities where contact_id = :contactId order by created_at`,
        b,
        { row: JsonRow },
      )
    ).rows.map((r) => r.row);
    await appendEntry(zip, JSON.stringify({ contact, identities }, null, 2), 'contact.json');
    const counts = { conversations: 0, messages: 0, mediaFiles: 0, runs: 0, consentEvents: 0, broadcasts: 0 };
    const counted = async function* (key: keyof typeof counts, rows: AsyncIterable<Json>): AsyncGenerator<Json> {
      for await (const row of rows) {
        counts[key] += 1;
        yield row;
      }
    };
    const stream = (name: string, parts: AsyncIterable<string>) => appendEntry(zip, Readable.from(parts), name);

    await stream(
      'conversations.json',
      jsonArray(
        counted(
          'conversations',
          cursorRows(
            tx,
            'export_conversations',
            `select to_jsonb(v) - 'workspace_id' as row from conversations v where v.contact_id = :contactId order by v.created_at, v.id`,
            b,
          ),
        ),
      ),
    );
    await this.progress(em, e.id, 5);

    // Messages, oldest first; a media file still in the store is named in the archive.
    const totalMessages = (await runSql(tx, `select count(*) as n from messages where contact_id = :contactId`, b, { row: CountRow }))
      .rows[0]!.n;
    const media = this.deps.files.media;
    const withMediaFile = async (m: Json): Promise<Json> => {
      if (counts.messages % PROGRESS_EVERY_MESSAGES === 0)
        await this.progress(em, e.id, 5 + Math.floor((45 * counts.messages) / Math.max(1, totalMessages)));
      const storageKey = (m.media as { storageKey?: string } | null)?.storageKey;
      return storageKey ? { ...m, mediaFile: (await media.exists(storageKey)) ? mediaEntryName(m.id as string, storageKey) : null } : m;
    };
    await stream(
      'messages.json',
      jsonArray(
        counted(
          'messages',
          cursorRows(
            tx,
            'export_messages',
            `select jsonb_build_object('id', id, 'conversationId', conversation_id, 'channelId', channel_id, 'direction', direction, 'sender', sender, 'type', type,
                    'text', text, 'media', media, 'status', status, 'statusTimes', status_times, 'failureReason', failure_reason, 'runId', run_id,
                    'editedAt', edited_at, 'deletedAt', deleted_at, 'createdAt', created_at) as row
               from messages where contact_id = :contactId order by created_at, id`,
            b,
          ),
        ),
        withMediaFile,
      ),
    );
    await this.progress(em, e.id, 50);

    // Media files under media/, piped from the store one at a time.
    let mediaDone = 0;
    for await (const m of cursorRows(
      tx,
      'export_media',
      `select jsonb_build_object('id', id, 'storageKey', media ->> 'storageKey') as row from messages where contact_id = :contactId and media ? 'storageKey' order by created_at, id`,
      b,
    )) {
      const file = await media.open(m.storageKey as string);
      if (file) {
        await appendEntry(zip, file, mediaEntryName(m.id as string, m.storageKey as string));
        counts.mediaFiles += 1;
      }
      if (++mediaDone % 100 === 0) await this.progress(em, e.id, Math.min(70, 50 + Math.floor(mediaDone / 100)));
    }
    await this.progress(em, e.id, 70);

    const notes = async function* (this: void): AsyncGenerator<string> {
      yield '{';
      let first = true;
      for (const table of CONVERSATION_EVENT_TABLES) {
        const exists = (
          await runSql(
            tx,
            `select exists (select 1 from information_schema.columns where table_schema = current_schema() and table_name = :table and column_name = 'conversation_id') as ok`,
            { table },
            { row: ExistsRow },
          )
        ).rows[0]?.ok;
        yield `${first ? '' : ','}\n${JSON.stringify(table)}: `;
        first = false;
        if (!exists) yield '[]';
        else
          yield* jsonArray(
            cursorRows(
              tx,
              `export_${table}`,
              `select to_jsonb(t) - 'workspace_id' as row from ${table} t where t.conversation_id in (select id from conversations where contact_id = :contactId) order by t.created_at`,
              b,
            ),
          );
      }
      yield '\n}\n';
    };
    await stream('notes.json', notes());

    await stream(
      'runs.json',
      jsonArray(
        counted(
          'runs',
          cursorRows(
            tx,
            'export_runs',
            `select jsonb_build_object('id', r.id, 'flowId', r.flow_id, 'flowVersionId', r.flow_version_id, 'conversationId', r.conversation_id, 'status', r.status,
                    'stopReason', r.stop_reason, 'error', r.error, 'state', r.state, 'trigger', r.trigger, 'startedAt', r.started_at, 'endedAt', r.ended_at,
                    'steps', coalesce((select jsonb_agg(jsonb_build_object('seq', s.seq, 'nodeId', s.node_id, 'nodeType', s.node_type, 'input', s.input, 'output', s.output,
                                                                           'port', s.port, 'error', s.error, 'startedAt', s.started_at, 'finishedAt', s.finished_at) order by s.seq)
                                        from run_steps s where s.run_id = r.id), '[]'::jsonb)) as row
               from runs r where r.contact_id = :contactId or r.conversation_id in (select id from conversations where contact_id = :contactId) order by r.started_at, r.id`,
            b,
          ),
        ),
      ),
    );
    await this.progress(em, e.id, 85);

    const consent = async function* (this: void): AsyncGenerator<string> {
      yield `{\n"optedOutAt": ${JSON.stringify(contact.opted_out_at ?? null)},\n"restrictedAt": ${JSON.stringify(contact.restricted_at ?? null)},\n"history": `;
      yield* jsonArray(
        counted(
          'consentEvents',
          cursorRows(
            tx,
            'export_consent',
            `select jsonb_build_object('action', action, 'source', source, 'channelId', channel_id, 'at', created_at) as row from consent_events where contact_id = :contactId order by created_at, id`,
            b,
          ),
        ),
      );
      yield '}\n';
    };
    await stream('consent.json', consent());
    await stream(
      'broadcasts.json',
      jsonArray(
        counted(
          'broadcasts',
          cursorRows(
            tx,
            'export_broadcasts',
            `select jsonb_build_object('broadcastId', b.id, 'broadcastName', b.name, 'state', r.state, 'skipReason', r.skip_reason, 'messageId', r.message_id, 'optedOutAt', r.opted_out_at, 'updatedAt', r.updated_at) as row
               from broadcast_recipients r join broadcasts b on b.id = r.broadcast_id where r.contact_id = :contactId order by r.updated_at, r.id`,
            b,
          ),
        ),
      ),
    );
    await this.progress(em, e.id, 95);

    return {
      format: EXPORT_FORMAT.name,
      version: EXPORT_FORMAT.version,
      exportId: e.id,
      exportedAt: this.deps.clock.now().toISOString(),
      contactId: e.contactId,
      // The JSON files; media files are named by their message's `mediaFile` in messages.json.
      files: ['contact.json', 'conversations.json', 'messages.json', 'notes.json', 'runs.json', 'consent.json', 'broadcasts.json'],
      counts,
    };
  }
}

/** Archives past their 7 days: the row says `expired`, the file is queued for deletion. Returns how many. */
export async function expireExports(em: EntityManager, now: Date): Promise<number> {
  const res = await runSql(
    em,
    `with old as (select id, file_key from contact_exports where status = 'ready' and expires_at < :now for update),
          expired as (update contact_exports e set status = 'expired', file_key = null from old where e.id = old.id returning old.file_key as key)
     insert into pending_file_deletions (kind, key) select 'export', key from expired where key is not null on conflict do nothing`,
    { now },
  );
  return res.rowCount;
}
