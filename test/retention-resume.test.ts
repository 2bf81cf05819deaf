import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../platform/ids.ts';
import { testSql } from './support/test-sql.ts';
import { collect, runCli, spawnCli } from './support/cli-process.ts';
import { eventually } from './support/eventually.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

const EXPIRED = 6_000;
const RECENT = 500;
const FILES = 300;

let env: TestEnv;
let workspaceId: string;
let mediaDir: string;
let cliEnvironment: NodeJS.ProcessEnv;

async function sql<T = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(env.orm.em.fork(), text, bindings)).rows;
}

beforeAll(async () => {
  env = await createTestEnv();
  mediaDir = join(env.config.dataDir, 'media');
  workspaceId = newId();
  const channelId = newId();
  const contactId = newId();
  const conversationId = newId();
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Resume')`, { workspaceId });
  await sql(`insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'S', 'connected')`, {
    channelId,
    workspaceId,
  });
  await sql(`insert into contacts (id, workspace_id, phone) values (:contactId, :workspaceId, '+15550001234')`, { contactId, workspaceId });
  await sql(
    `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
    { conversationId, workspaceId, channelId, contactId },
  );
  // Set-based: expired messages (the first FILES with a media file), then recent ones.
  await sql(
    `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, media, status, handled_at, created_at)
     select gen_random_uuid(), :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'expired ' || i,
            case when i <= :files then jsonb_build_object('storageKey', :channelId || '/f' || i || '.bin', 'sizeBytes', 10) end,
            'received', now(), now() - interval '30 days' + make_interval(secs => i)
       from generate_series(1, :expired) i`,
    { workspaceId, channelId, conversationId, contactId, expired: EXPIRED, files: FILES },
  );
  await sql(
    `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, handled_at, created_at)
     select gen_random_uuid(), :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'recent', 'received', now(), now() - interval '1 hour' from generate_series(1, :recent)`,
    { workspaceId, channelId, conversationId, contactId, recent: RECENT },
  );
  await mkdir(join(mediaDir, channelId), { recursive: true });
  for (let i = 1; i <= FILES; i++) await writeFile(join(mediaDir, channelId, `f${i}.bin`), 'x'.repeat(10));
  // Messages kept 7 days; media files kept as long as their messages.
  await sql(`insert into retention_settings (workspace_id, policy) values (:workspaceId, '{"message_content": 7}')`, { workspaceId });
  cliEnvironment = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    DATABASE_URL: env.config.databaseUrl,
    REDIS_URL: env.config.redisUrl,
    REDIS_PREFIX: env.config.redisPrefix,
    ONEMESSAGE_SECRET_KEY: env.config.secretKey.toString('hex'),
    ONEMESSAGE_DATA_DIR: env.config.dataDir,
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  await rm(env.config.dataDir, { recursive: true, force: true });
  await env?.cleanup();
});

describe('when the process running a sweep is killed with SIGKILL mid-way', () => {
  it('is resumed by the next run from where it stopped, with exact counts and every file gone', async () => {
    // Small batches: the sweep takes many transactions, so the kill lands in the middle.
    const child = spawnCli(['retention', 'sweep', '--workspace', workspaceId, '--batch-rows', '100'], cliEnvironment);
    const output = collect(child);
    const progressAtKill = await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the sweep ended before it could be killed: ${JSON.stringify(output())}`);
      const row = (
        await sql<{ progress: any }>(`select progress from retention_sweeps where workspace_id = :workspaceId`, { workspaceId })
      )[0];
      const deleted = row?.progress.message_content?.deleted ?? 0;
      return deleted >= 1_000 ? row!.progress.message_content : undefined;
    }, 60_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(progressAtKill.deleted).toBeLessThan(EXPIRED);

    const killed = (
      await sql<{ status: string; progress: any }>(`select status, progress from retention_sweeps where workspace_id = :workspaceId`, {
        workspaceId,
      })
    )[0]!;
    expect(killed.status).toBe('running');
    const left = Number(
      (
        await sql<{ n: string }>(
          `select count(*) as n from messages where workspace_id = :workspaceId and created_at < now() - interval '7 days'`,
          { workspaceId },
        )
      )[0]!.n,
    );
    // What the row says was deleted is exactly what is gone: counts are written in each batch's transaction.
    expect(left).toBe(EXPIRED - killed.progress.message_content.deleted);
    expect(left).toBeGreaterThan(0);

    // The next run finds the unfinished sweep, waits for the dead runner's lease, and finishes it.
    const resumed = await runCli(['retention', 'sweep', '--workspace', workspaceId], cliEnvironment, 120_000);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stdout).toContain('resuming sweep');
    expect(resumed.stdout).toContain(`message_content: done, deleted ${EXPIRED} rows`);

    const sweeps = await sql<{ status: string; progress: any }>(
      `select status, progress from retention_sweeps where workspace_id = :workspaceId`,
      { workspaceId },
    );
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]!.status).toBe('completed');
    expect(sweeps[0]!.progress.message_content).toMatchObject({ status: 'done', total: EXPIRED, deleted: EXPIRED, files: FILES });
    const counts = (
      await sql<{ expired: string; recent: string }>(
        `select count(*) filter (where created_at < now() - interval '7 days') as expired, count(*) filter (where created_at >= now() - interval '7 days') as recent from messages`,
      )
    )[0]!;
    expect(Number(counts.expired)).toBe(0);
    expect(Number(counts.recent)).toBe(RECENT);
    // Files of rows deleted just before the kill were queued in the same transaction: none is left behind.
    const channelDirs = await readdir(mediaDir);
    for (const dir of channelDirs) expect(await readdir(join(mediaDir, dir))).toEqual([]);
    expect(await sql(`select * from pending_file_deletions`)).toEqual([]);
    const audits = await sql<{ details: any }>(
      `select details from audit_log where workspace_id = :workspaceId and action = 'retention.swept'`,
      { workspaceId },
    );
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details.trigger).toBe('cli');
    expect(existsSync(mediaDir)).toBe(true);
  }, 180_000);

  it('answers a dry run with counts and deletes nothing', async () => {
    await sql(`update retention_settings set policy = '{"message_content": 1}' where workspace_id = :workspaceId`, { workspaceId });
    await sql(`update messages set created_at = now() - interval '2 days' where id in (select id from messages limit 10)`);
    const dry = await runCli(['retention', 'sweep', '--workspace', workspaceId, '--dry-run'], cliEnvironment, 60_000);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('message_content: done, would delete 10 rows');
    expect(Number((await sql<{ n: string }>(`select count(*) as n from messages`))[0]!.n)).toBe(RECENT);
  }, 60_000);
});
