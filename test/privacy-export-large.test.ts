import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertExport } from '../connectors/retention/contact-export.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { REPO_ROOT } from './support/cli-process.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/** A history far larger than the heap the export may use: 40,000 messages of 1,500 characters (60 MB of text). */
const MESSAGES = 40_000;
const TEXT_CHARS = 1_500;
const MEDIA_FILES = 300;
const MEDIA_BYTES = 20_000;
const RUNS = 500;
/**
 * The export process's heap limit, MB. Building the archive in memory (as it once did: every
 * message as an object, then as one JSON string) needs several times the 60 MB of text; streamed,
 * the export stays near the size of the modules it loads.
 */
const HEAP_LIMIT_MB = 96;

let env: TestEnv;
const dir = `/tmp/onemessage-export-large-${process.pid}`;
const mediaDir = join(dir, 'media');
const exportsDir = join(dir, 'exports');
const ids = { workspaceId: newId(), channelId: newId(), contactId: newId(), conversationId: newId(), flowId: newId(), versionId: newId() };

beforeAll(async () => {
  env = await createTestEnv();
  const em = env.orm.em.fork();
  const sql = (text: string, extra: Record<string, unknown> = {}) => runSql(em, text, { ...ids, ...extra });
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Large history')`);
  await sql(
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`,
  );
  await sql(`insert into contacts (id, workspace_id, phone, name) values (:contactId, :workspaceId, '+15550001111', 'Long Talker')`);
  await sql(
    `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
  );
  await sql(`insert into flows (id, workspace_id, name, draft) values (:flowId, :workspaceId, 'Flow', '{}')`);
  await sql(`insert into flow_versions (id, workspace_id, flow_id, version, document) values (:versionId, :workspaceId, :flowId, 1, '{}')`);
  // Every (MESSAGES / MEDIA_FILES)th message has a file in the media store.
  const every = Math.floor(MESSAGES / MEDIA_FILES);
  await sql(
    `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, media, status, handled_at, created_at)
     select gen_random_uuid(), :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text',
            'message ' || i || ' ' || repeat(md5(cast(i as text)), cast(:chars as int) / 32),
            case when i % cast(:every as int) = 0 then jsonb_build_object('storageKey', cast(:channelId as text) || '/f' || i || '.bin', 'sizeBytes', cast(:mediaBytes as int)) end,
            'received', now(), now() - make_interval(secs => cast(:messages as int) - i)
       from generate_series(1, cast(:messages as int)) i`,
    { messages: MESSAGES, chars: TEXT_CHARS, every, mediaBytes: MEDIA_BYTES },
  );
  await mkdir(join(mediaDir, ids.channelId), { recursive: true });
  for (let i = every; i <= MESSAGES; i += every)
    await writeFile(join(mediaDir, ids.channelId, `f${i}.bin`), Buffer.alloc(MEDIA_BYTES, i % 251));
  await sql(
    `insert into runs (id, workspace_id, flow_id, flow_version_id, contact_id, conversation_id, channel_id, status, started_at, updated_at, ended_at)
     select gen_random_uuid(), :workspaceId, :flowId, :versionId, :contactId, :conversationId, :channelId, 'completed', now(), now(), now() from generate_series(1, cast(:runs as int))`,
    { runs: RUNS },
  );
  await sql(
    `insert into run_steps (id, workspace_id, run_id, seq, node_id, node_type, started_at, finished_at) select gen_random_uuid(), workspace_id, id, s, 'n' || s, 'send_message', now(), now() from runs cross join generate_series(1, 3) s`,
  );
}, 240_000);

afterAll(async () => {
  await env?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('when a contact with a long history asks for their data', () => {
  it(`streams the archive with a ${HEAP_LIMIT_MB} MB heap, complete and parseable: every message, media file and run`, async () => {
    const row = await insertExport(env.orm.em.fork(), {
      workspaceId: ids.workspaceId,
      contactId: ids.contactId,
      requestedBy: null,
      now: new Date(),
    });
    const child = spawn(
      process.execPath,
      [
        `--max-old-space-size=${HEAP_LIMIT_MB}`,
        '--import',
        'tsx',
        'test/support/export-in-child.ts',
        env.config.databaseUrl,
        row.id,
        mediaDir,
        exportsDir,
      ],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code, stderr.slice(-2_000)).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result.status).toBe('ready');
    console.log(`export of ${MESSAGES} messages: peak heap ${result.peakHeapMb} MB (limit ${HEAP_LIMIT_MB} MB)`);

    const zipPath = join(exportsDir, ids.workspaceId, `${row.id}.zip`);
    const read = (name: string) => JSON.parse(execFileSync('unzip', ['-p', zipPath, name], { maxBuffer: 512 * 1024 * 1024 }).toString());
    const manifest = read('manifest.json');
    expect(manifest).toMatchObject({
      format: 'onemessage.contact-export',
      version: 2,
      contactId: ids.contactId,
      counts: { conversations: 1, messages: MESSAGES, mediaFiles: MEDIA_FILES, runs: RUNS },
    });
    const messages = read('messages.json');
    expect(messages).toHaveLength(MESSAGES);
    expect(messages[0].text).toMatch(/^message 1 /);
    expect(messages[MESSAGES - 1].text).toMatch(new RegExp(`^message ${MESSAGES} `));
    expect(messages[0].text.length).toBeGreaterThan(TEXT_CHARS - 32);
    const withFile = messages.filter((m: { mediaFile: string | null }) => m.mediaFile);
    expect(withFile).toHaveLength(MEDIA_FILES);
    const listing = execFileSync('unzip', ['-Z1', zipPath], { maxBuffer: 64 * 1024 * 1024 })
      .toString()
      .trim()
      .split('\n');
    expect(listing.filter((name) => name.startsWith('media/'))).toHaveLength(MEDIA_FILES);
    for (const m of [withFile[0], withFile[MEDIA_FILES - 1]])
      expect(execFileSync('unzip', ['-p', zipPath, m.mediaFile]).length).toBe(MEDIA_BYTES);
    const runs = read('runs.json');
    expect(runs).toHaveLength(RUNS);
    expect(runs.every((r: { steps: unknown[] }) => r.steps.length === 3)).toBe(true);
    expect(read('conversations.json')).toHaveLength(1);
    expect(read('consent.json')).toEqual({ optedOutAt: null, restrictedAt: null, history: [] });
    expect(read('notes.json')).toEqual({ conversation_events: [], conversation_notes: [] });
    expect(read('broadcasts.json')).toEqual([]);
  }, 300_000);
});
