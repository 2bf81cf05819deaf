import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_SQL, type SweepCursor } from '../connectors/retention/sweep-kinds.sql.ts';
import { setUpBatch, setUpCounts, SWEEP_APPLICATION_NAME, walCompressionFor } from '../connectors/retention/sweep-session.sql.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { seedWorkspaceWithSandbox } from './support/seed-workspace.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
const ids = { workspaceId: newId(), channelId: newId(), contactId: newId(), conversationId: newId() };
const noHolds = { workspace: false, contactIds: [], conversationIds: [] };

async function sql<T = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(env.orm.em.fork(), text, { ...ids, ...bindings })).rows;
}

/** Runs message_content batches of `limit` rows until one deletes nothing; returns the rows of each batch. */
async function sweepMessages(limit: number, cutoff: Date): Promise<number[]> {
  const batches: number[] = [];
  let cursor: SweepCursor = {};
  for (;;) {
    const r = await env.orm.em
      .fork()
      .transactional((tx) =>
        KIND_SQL.message_content.deleteBatch(tx, { workspaceId: ids.workspaceId, cutoff, holds: noHolds }, limit, cursor),
      );
    if (r.rows === 0) return batches;
    batches.push(r.rows);
    cursor = r.cursor;
  }
}

/** A workspace (with its sandbox channel), a contact and its conversation, under the ids given. */
async function seedConversation(
  at: { workspaceId: string; channelId: string; contactId: string; conversationId: string },
  name: string,
  phone: string,
): Promise<void> {
  const em = env.orm.em.fork();
  await seedWorkspaceWithSandbox(em, { workspaceId: at.workspaceId, channelId: at.channelId, name });
  await runSql(em, `insert into contacts (id, workspace_id, phone, name) values (:contactId, :workspaceId, :phone, 'Someone')`, {
    ...at,
    phone,
  });
  await runSql(
    em,
    `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
    at,
  );
}

beforeAll(async () => {
  env = await createTestEnv();
  await seedConversation(ids, 'Batches', '+15550002222');
}, 60_000);

afterAll(async () => {
  await env?.cleanup();
});

async function seed(count: number, at: string): Promise<void> {
  await sql(
    `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, handled_at, created_at)
     select gen_random_uuid(), :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'hello', 'received', now(), cast(:at as timestamptz)
       from generate_series(1, cast(:count as int))`,
    { count, at },
  );
}

describe('when many expired messages share one instant (a bulk import)', () => {
  it('deletes them all in batches: the cursor starts at that instant again, not after it', async () => {
    await seed(25, '2020-01-01T00:00:00.123456Z');
    await seed(5, '2020-01-02T00:00:00Z');
    expect(await sweepMessages(10, new Date('2021-01-01T00:00:00Z'))).toEqual([10, 10, 10]);
    expect(await sql(`select 1 from messages where workspace_id = :workspaceId`)).toHaveLength(0);
  });
});

describe('when the sweep goes on from its cursor', () => {
  it('keeps every message after the cutoff and those the engine has not handled yet', async () => {
    await seed(12, '2020-03-01T00:00:00Z');
    await seed(3, '2030-01-01T00:00:00Z');
    await sql(
      `update messages set handled_at = null where workspace_id = :workspaceId and id in (select id from messages where workspace_id = :workspaceId and created_at < '2021-01-01' limit 2)`,
    );
    expect((await sweepMessages(4, new Date('2021-01-01T00:00:00Z'))).reduce((a, b) => a + b, 0)).toBe(10);
    const left = await sql<{ handled: boolean; future: boolean }>(
      `select handled_at is not null as handled, created_at > now() as future from messages where workspace_id = :workspaceId order by created_at`,
    );
    expect(left).toEqual([
      { handled: false, future: false },
      { handled: false, future: false },
      { handled: true, future: true },
      { handled: true, future: true },
      { handled: true, future: true },
    ]);
  });
});

describe("when a batch's transaction is set up", () => {
  const SETTINGS = `select current_setting('synchronous_commit') as sync, current_setting('application_name') as app, current_setting('wal_compression') as wal`;

  it('compresses its WAL where the connection may, names its backend, and does not wait for the disk at commit', async () => {
    // The test server's role is a superuser (PostgreSQL 15 or later): it may set wal_compression.
    const compression = await walCompressionFor(env.orm.em.fork());
    expect(['lz4', 'on']).toContain(compression);
    const inside = await env.orm.em.fork().transactional(async (tx) => {
      await setUpBatch(tx, compression);
      return (await runSql(tx, SETTINGS)).rows[0];
    });
    expect(inside).toEqual({ sync: 'off', app: SWEEP_APPLICATION_NAME, wal: compression });
  });

  it("names the backend of the sweep's counts and keeps them to one process, for that transaction only", async () => {
    const em = env.orm.em.fork();
    const COUNT_SETTINGS = `select current_setting('application_name') as app, current_setting('synchronous_commit') as sync,
                                   current_setting('max_parallel_workers_per_gather') as workers`;
    const before = (await testSql<{ app: string; workers: string }>(em, COUNT_SETTINGS)).rows[0]!;
    expect(before.workers).not.toBe('0');
    const counting = await em.transactional(async (tx) => {
      await setUpCounts(tx);
      return (await runSql(tx, COUNT_SETTINGS)).rows[0];
    });
    expect(counting).toEqual({ app: SWEEP_APPLICATION_NAME, sync: 'on', workers: '0' });
    expect((await runSql(em, COUNT_SETTINGS)).rows[0]).toEqual(before);
  });

  it('counts without parallel workers where the same count would otherwise get them', async () => {
    const planOf = (counting: boolean) =>
      env.orm.em.fork().transactional(async (tx) => {
        if (counting) await setUpCounts(tx);
        // Parallel plans made as cheap as they come: only the sweep's setting keeps the plan serial.
        await runSql(
          tx,
          `select set_config('parallel_setup_cost', '0', true), set_config('parallel_tuple_cost', '0', true),
                                 set_config('min_parallel_table_scan_size', '0', true)`,
        );
        return (await testSql<{ 'QUERY PLAN': string }>(tx, `explain select count(*) from messages`)).rows
          .map((r) => r['QUERY PLAN'])
          .join(' ');
      });
    expect(await planOf(false)).toMatch(/Gather/);
    expect(await planOf(true)).not.toMatch(/Gather|Parallel/);
  });

  it('runs uncompressed, as before, where the role may not set wal_compression', async () => {
    const compression = await env.orm.em.fork().transactional(async (tx) => {
      // A role with no SET privilege on wal_compression (a built-in one: no role is created on the shared server).
      await runSql(tx, `set local role pg_monitor`);
      const decided = await walCompressionFor(tx);
      await setUpBatch(tx, decided);
      return { decided, settings: (await runSql(tx, SETTINGS)).rows[0] };
    });
    expect(compression).toEqual({ decided: null, settings: { sync: 'off', app: SWEEP_APPLICATION_NAME, wal: 'off' } });
  });
});

describe('when the media kind picks the files it takes', () => {
  // Every combination of age, direction, handled, status and file, in a workspace of its own.
  const media = { workspaceId: newId(), channelId: newId(), contactId: newId(), conversationId: newId() };
  const DAY_MS = 86_400_000;
  /** The media kind's rows as one condition, as it was written before it read two indexes. */
  const REFERENCE = `select id from messages m
    where m.workspace_id = :workspaceId and m.media ? 'storageKey' and m.created_at < :cutoff and m.status <> 'queued'
      and not (m.created_at < cast(:messageCutoff as timestamptz) and m.status <> 'queued' and (m.direction = 'outbound' or m.handled_at is not null))`;

  beforeAll(async () => {
    const s = (text: string, b: Record<string, unknown> = {}) => runSql(env.orm.em.fork(), text, { ...media, ...b });
    await seedConversation(media, 'Media', '+15550003333');
    await s(
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, media, status, handled_at, created_at)
       select gen_random_uuid(), :workspaceId, :channelId, :conversationId, :contactId, d, case when d = 'inbound' then 'contact' else 'bot' end, 'text', 'x',
              case when f then jsonb_build_object('storageKey', 'k/' || gen_random_uuid() || '.jpg', 'sizeBytes', 10) else jsonb_build_object('removedAt', now()) end,
              st, case when h then now() end, now() - make_interval(days => age)
         from unnest(array[60, 20, 5]) age, unnest(array['inbound', 'outbound']) d, unnest(array[true, false]) h,
              unnest(array['received', 'queued', 'sent']) st, unnest(array[true, false]) f`,
    );
  });

  it.each([
    { name: 'media period shorter than the message period', mediaDays: 10, messageDays: 30 },
    { name: 'both periods equal (the defaults, the bench)', mediaDays: 30, messageDays: 30 },
    { name: 'media period longer than the message period', mediaDays: 30, messageDays: 10 },
    { name: 'messages kept (no message period)', mediaDays: 10, messageDays: null },
  ])('takes the same rows as the single condition: $name', async ({ mediaDays, messageDays }) => {
    const cutoff = new Date(Date.now() - mediaDays * DAY_MS);
    const messageCutoff = messageDays === null ? null : new Date(Date.now() - messageDays * DAY_MS);
    const scope = { workspaceId: media.workspaceId, cutoff, holds: noHolds, messageCutoff };
    const expected = (
      await testSql<{ id: string }>(env.orm.em.fork(), REFERENCE, { ...media, cutoff, messageCutoff: messageCutoff ?? '-infinity' })
    ).rows
      .map((r) => r.id)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect((await KIND_SQL.media_files.preview(env.orm.em.fork(), scope)).rows).toBe(expected.length);
    // The batch takes them (its files queued), in a transaction rolled back so that each case sees every row.
    const taken = await env.orm.em
      .fork()
      .transactional(async (tx) => {
        const r = await KIND_SQL.media_files.deleteBatch(tx, scope, 1_000, {});
        const ids = await testSql<{ id: string }>(
          tx,
          `select id from messages where workspace_id = :workspaceId and media ? 'removedAt' and media ? 'sizeBytes' and not media ? 'storageKey'`,
          media,
        );
        throw Object.assign(new Error('rollback'), { result: { rows: r.rows, files: r.files, ids: ids.rows.map((x) => x.id).sort() } });
      })
      .catch((err: { result?: { rows: number; files: number; ids: string[] } }) => err.result);
    expect(taken).toEqual({ rows: expected.length, files: expected.length, ids: expected });
  });
});
