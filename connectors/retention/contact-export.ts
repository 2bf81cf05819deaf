import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ZipArchive } from 'archiver';
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
export const EXPORT_FORMAT = { name: 'onemessage.contact-export', version: 1 } as const;

export type ExportStatus = 'queued' | 'running' | 'ready' | 'failed' | 'expired';

export interface ExportRow {
  id: string;
  workspaceId: string;
  contactId: string;
  status: ExportStatus;
  progress: number;
  fileKey: string | null;
  sizeBytes: string | null;
  error: string | null;
  requestedBy: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  expiresAt: Date | null;
}

const COLUMNS = `id, workspace_id as "workspaceId", contact_id as "contactId", status, progress, file_key as "fileKey", size_bytes as "sizeBytes", error,
  requested_by as "requestedBy", created_at as "createdAt", finished_at as "finishedAt", expires_at as "expiresAt"`;

export async function findExport(em: EntityManager, workspaceId: string, id: string): Promise<ExportRow | null> {
  return (await runSql<ExportRow>(em, `select ${COLUMNS} from contact_exports where workspace_id = :workspaceId and id = :id`, { workspaceId, id })).rows[0] ?? null;
}

export async function listExports(em: EntityManager, workspaceId: string, contactId: string | null, limit: number): Promise<ExportRow[]> {
  return (
    await runSql<ExportRow>(em, `select ${COLUMNS} from contact_exports where workspace_id = :workspaceId and (cast(:contactId as uuid) is null or contact_id = cast(:contactId as uuid)) order by created_at desc limit :limit`, {
      workspaceId,
      contactId,
      limit,
    })
  ).rows;
}

/** Inserts a queued export of a contact of the workspace; NotFoundError for any other id. */
export async function insertExport(em: EntityManager, p: { workspaceId: string; contactId: string; requestedBy: string | null; now: Date }): Promise<ExportRow> {
  const row = (
    await runSql<ExportRow>(
      em,
      `insert into contact_exports (id, workspace_id, contact_id, status, requested_by, created_at)
       select :id, workspace_id, id, 'queued', cast(:requestedBy as uuid), :now from contacts where id = :contactId and workspace_id = :workspaceId
       returning ${COLUMNS}`,
      { id: newId(), ...p },
    )
  ).rows[0];
  if (!row) throw new NotFoundError('contact', p.contactId);
  return row;
}

type Json = Record<string, unknown>;

async function rows(em: EntityManager, sql: string, bindings: Record<string, unknown>): Promise<Json[]> {
  return (await runSql<{ row: Json }>(em, sql, bindings)).rows.map((r) => r.row);
}

/**
 * Builds a contact's export archive (the right of access and to portability): one zip with the
 * contact, its identities, conversations, messages, notes and conversation events, the runs that
 * touched them with their steps, its consent state and history, its broadcast receipts, and the
 * media files; JSON described in EXPORT-FORMAT.md. Progress (0-100) is written as it goes.
 */
export class ContactExportBuilder {
  constructor(private readonly deps: { orm: Orm; files: PrivacyFiles; clock: Clock; logger: Logger }) {}

  async build(exportId: string): Promise<ExportRow['status']> {
    const em = this.deps.orm.em.fork();
    const claimed = (await runSql<ExportRow>(em, `update contact_exports set status = 'running', progress = 0 where id = :exportId and status in ('queued', 'running') returning ${COLUMNS}`, { exportId })).rows[0];
    if (!claimed) return 'expired';
    const key = `${claimed.workspaceId}/${claimed.id}.zip`;
    const path = exportPath(this.deps.files, key);
    try {
      await mkdir(dirname(path), { recursive: true });
      const out = createWriteStream(path);
      const zip = new ZipArchive({ zlib: { level: 6 } });
      const failed = new Promise<never>((_, reject) => zip.on('error', reject));
      zip.pipe(out);
      const manifest = await this.collect(em, claimed, zip);
      zip.append(JSON.stringify(manifest, null, 2), { name: 'manifest.json' });
      await Promise.race([zip.finalize(), failed]);
      await finished(out);
      const size = (await stat(path)).size;
      const now = this.deps.clock.now();
      await runSql(em, `update contact_exports set status = 'ready', progress = 100, file_key = :key, size_bytes = :size, finished_at = :now, expires_at = :expiresAt where id = :exportId`, {
        exportId,
        key,
        size,
        now,
        expiresAt: new Date(now.getTime() + EXPORT_KEEP_MS),
      });
      return 'ready';
    } catch (err) {
      this.deps.logger.warn({ err, exportId }, 'contact export failed');
      await runSql(em, `insert into pending_file_deletions (kind, key) values ('export', :key) on conflict do nothing`, { key });
      await runSql(em, `update contact_exports set status = 'failed', error = :error, finished_at = :now where id = :exportId`, { exportId, error: err instanceof Error ? err.message : String(err), now: this.deps.clock.now() });
      return 'failed';
    }
  }

  private async progress(em: EntityManager, exportId: string, percent: number): Promise<void> {
    await runSql(em, `update contact_exports set progress = :percent where id = :exportId`, { exportId, percent });
  }

  private async collect(em: EntityManager, e: ExportRow, zip: ZipArchive): Promise<Json> {
    const b = { contactId: e.contactId, workspaceId: e.workspaceId };
    const contact = (await rows(em, `select to_jsonb(c) - 'workspace_id' as row from contacts c where c.id = :contactId and c.workspace_id = :workspaceId`, b))[0];
    if (!contact) throw new NotFoundError('contact', e.contactId);
    const identities = await rows(em, `select jsonb_build_object('channelId', channel_id, 'kind', kind, 'value', value, 'createdAt', created_at) as row from contact_identities where contact_id = :contactId order by created_at`, b);
    const conversations = await rows(em, `select to_jsonb(v) - 'workspace_id' as row from conversations v where v.contact_id = :contactId order by v.created_at`, b);
    const conversationIds = conversations.map((c) => c.id as string);
    zip.append(JSON.stringify({ contact, identities }, null, 2), { name: 'contact.json' });
    zip.append(JSON.stringify(conversations, null, 2), { name: 'conversations.json' });
    await this.progress(em, e.id, 10);

    const messages = await rows(
      em,
      `select jsonb_build_object('id', id, 'conversationId', conversation_id, 'channelId', channel_id, 'direction', direction, 'sender', sender, 'type', type,
              'text', text, 'media', media, 'status', status, 'statusTimes', status_times, 'failureReason', failure_reason, 'runId', run_id,
              'editedAt', edited_at, 'deletedAt', deleted_at, 'createdAt', created_at) as row
         from messages where contact_id = :contactId order by id`,
      b,
    );
    // Media files travel in the archive under media/, named after their message.
    const mediaFiles: { messageId: string; path: string; bytes: number }[] = [];
    let done = 0;
    for (const m of messages) {
      const media = m.media as { storageKey?: string } | null;
      if (media?.storageKey) {
        try {
          const data = await this.deps.files.media.get(media.storageKey);
          const name = `media/${m.id as string}-${media.storageKey.split('/').pop()}`;
          zip.append(data, { name });
          mediaFiles.push({ messageId: m.id as string, path: name, bytes: data.length });
          (m as Json).mediaFile = name;
        } catch {
          (m as Json).mediaFile = null;
        }
      }
      if (++done % 500 === 0) await this.progress(em, e.id, 10 + Math.floor((60 * done) / messages.length));
    }
    zip.append(JSON.stringify(messages, null, 2), { name: 'messages.json' });
    await this.progress(em, e.id, 70);

    const notes: Record<string, Json[]> = {};
    for (const table of CONVERSATION_EVENT_TABLES) {
      const exists = (await runSql<{ ok: boolean }>(em, `select exists (select 1 from information_schema.columns where table_schema = current_schema() and table_name = :table and column_name = 'conversation_id') as ok`, { table })).rows[0]?.ok;
      notes[table] = exists ? await rows(em, `select to_jsonb(t) - 'workspace_id' as row from ${table} t where t.conversation_id = any(cast(:conversationIds as uuid[])) order by t.created_at`, { conversationIds }) : [];
    }
    zip.append(JSON.stringify(notes, null, 2), { name: 'notes.json' });

    const runs = await rows(
      em,
      `select jsonb_build_object('id', r.id, 'flowId', r.flow_id, 'flowVersionId', r.flow_version_id, 'conversationId', r.conversation_id, 'status', r.status,
              'stopReason', r.stop_reason, 'error', r.error, 'state', r.state, 'trigger', r.trigger, 'startedAt', r.started_at, 'endedAt', r.ended_at,
              'steps', coalesce((select jsonb_agg(jsonb_build_object('seq', s.seq, 'nodeId', s.node_id, 'nodeType', s.node_type, 'input', s.input, 'output', s.output,
                                                                     'port', s.port, 'error', s.error, 'startedAt', s.started_at, 'finishedAt', s.finished_at) order by s.seq)
                                  from run_steps s where s.run_id = r.id), '[]'::jsonb)) as row
         from runs r where r.contact_id = :contactId or r.conversation_id = any(cast(:conversationIds as uuid[])) order by r.started_at`,
      { contactId: e.contactId, conversationIds },
    );
    zip.append(JSON.stringify(runs, null, 2), { name: 'runs.json' });
    await this.progress(em, e.id, 85);

    const history = await rows(em, `select jsonb_build_object('action', action, 'source', source, 'channelId', channel_id, 'at', created_at) as row from consent_events where contact_id = :contactId order by created_at, id`, b);
    zip.append(JSON.stringify({ optedOutAt: contact.opted_out_at ?? null, restrictedAt: contact.restricted_at ?? null, history }, null, 2), { name: 'consent.json' });
    const broadcasts = await rows(
      em,
      `select jsonb_build_object('broadcastId', b.id, 'broadcastName', b.name, 'state', r.state, 'skipReason', r.skip_reason, 'messageId', r.message_id, 'optedOutAt', r.opted_out_at, 'updatedAt', r.updated_at) as row
         from broadcast_recipients r join broadcasts b on b.id = r.broadcast_id where r.contact_id = :contactId order by r.updated_at`,
      b,
    );
    zip.append(JSON.stringify(broadcasts, null, 2), { name: 'broadcasts.json' });
    await this.progress(em, e.id, 95);

    return {
      format: EXPORT_FORMAT.name,
      version: EXPORT_FORMAT.version,
      exportId: e.id,
      exportedAt: this.deps.clock.now().toISOString(),
      contactId: e.contactId,
      files: ['contact.json', 'conversations.json', 'messages.json', 'notes.json', 'runs.json', 'consent.json', 'broadcasts.json', ...mediaFiles.map((f) => f.path)],
      counts: { conversations: conversations.length, messages: messages.length, mediaFiles: mediaFiles.length, runs: runs.length, consentEvents: history.length, broadcasts: broadcasts.length },
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
