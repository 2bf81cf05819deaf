import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_SQL, type SweepCursor } from '../connectors/retention/sweep-kinds.sql.ts';
import { setUpBatch, SWEEP_APPLICATION_NAME, walCompressionFor } from '../connectors/retention/sweep-session.sql.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
const ids = { workspaceId: newId(), channelId: newId(), contactId: newId(), conversationId: newId() };
const noHolds = { workspace: false, contactIds: [], conversationIds: [] };

async function sql<T = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await runSql<T>(env.orm.em.fork(), text, { ...ids, ...bindings })).rows;
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

beforeAll(async () => {
  env = await createTestEnv();
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Batches')`);
  await sql(
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`,
  );
  await sql(`insert into contacts (id, workspace_id, phone, name) values (:contactId, :workspaceId, '+15550002222', 'Someone')`);
  await sql(
    `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
  );
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
