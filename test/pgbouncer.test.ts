import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, ensureDatabase } from '../platform/db/ensure-database.ts';
import { openOrm, type Orm } from '../platform/db/orm.ts';
import { useNamedStatements } from '../platform/pipeline/run-sql.ts';
import { migrateWithLock } from '../platform/runtime/prepare-database.ts';
import { runRoles, type RunningProcess } from '../platform/runtime/run-roles.ts';
import { createRedis, deleteKeysMatching } from '../platform/redis.ts';
import { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { startOwnPgBouncer, type OwnPgBouncer } from './support/own-services.ts';
import { TEST_PG_BASE, TEST_REDIS_URL } from './support/test-env.ts';

/*
 * The supported scale-out setup for PostgreSQL (README, "Scaling out"): every process through
 * PgBouncer in transaction mode with DATABASE_PREPARED_STATEMENTS=off. PgBouncer 1.18 (Debian 12)
 * runs each transaction on whichever server connection is free, so session state (a session
 * advisory lock, a named prepared statement) does not follow a client.
 */
/** Debian's PgBouncer (`apt-get install -y pgbouncer`; CI installs it). */
const HAS_PGBOUNCER = existsSync('/usr/sbin/pgbouncer');
const id = randomBytes(5).toString('hex');
const dbName = `om_test_pgb_${id}`;
const direct = `${TEST_PG_BASE}/${dbName}`;
const prefix = `omtest:pgb-${id}`;
let bouncer: OwnPgBouncer;
let viaBouncer: string;
let product: RunningProcess | undefined;
const orms: Orm[] = [];

async function directQuery<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: direct });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const advisoryLocksHeld = async () =>
  (
    await directQuery<{ n: string }>(
      `select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = $1)`,
      [dbName],
    )
  )[0]!.n;

beforeAll(async () => {
  if (!HAS_PGBOUNCER) return;
  const target = new URL(TEST_PG_BASE);
  bouncer = await startOwnPgBouncer({ host: target.hostname, port: Number(target.port || 5432) }, { poolSize: 3 });
  viaBouncer = `${bouncer.baseUrl}/${dbName}`;
  // Created through PgBouncer, as `start` would do on a fresh install.
  await ensureDatabase(viaBouncer);
});

afterAll(async () => {
  await product?.shutdown.run('test finished');
  for (const orm of orms) await orm.close();
  useNamedStatements(true);
  await bouncer?.stop();
  if (!HAS_PGBOUNCER) return;
  await dropDatabase(direct).catch(() => undefined);
  const redis = createRedis(TEST_REDIS_URL);
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis.disconnect();
});

describe.skipIf(!HAS_PGBOUNCER)('PostgreSQL behind PgBouncer in transaction mode', () => {
  it('migrates from two processes at once through it, and leaves no advisory lock held on a pooled connection', async () => {
    useNamedStatements(false);
    const [a, b] = [await openOrm(viaBouncer), await openOrm(viaBouncer)];
    orms.push(a, b);
    const [first, second] = await Promise.all([migrateWithLock(a, viaBouncer), migrateWithLock(b, viaBouncer)]);
    // One of them applied every migration; the other waited for the lock and found none pending.
    expect([first.length, second.length].sort((x, y) => x - y)[0]).toBe(0);
    expect(first.length + second.length).toBeGreaterThan(10);
    expect(await advisoryLocksHeld()).toBe('0');
  });

  it('runs the product through it: signs up, publishes a flow and answers 40 senders exactly once each', async () => {
    product = await runRoles(
      ['api', 'worker', 'connector'],
      {
        DATABASE_URL: viaBouncer,
        DATABASE_PREPARED_STATEMENTS: 'off',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: prefix,
        PORT: '0',
        HOST: '127.0.0.1',
        ONEMESSAGE_SECRET_KEY: randomBytes(32).toString('hex'),
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        NODE_ENV: 'test',
      },
      { exit: () => undefined, listenForSignals: false },
    );
    // The api process migrated (nothing pending) and seeded through PgBouncer; no lock is left behind.
    expect(await advisoryLocksHeld()).toBe('0');

    const client = new ApiClient(`http://127.0.0.1:${product.port}`);
    const signup = await client.post('/api/v1/auth/signup', {
      email: `pgb-${id}@example.com`,
      password: 'password-123',
      name: 'Pat',
      workspaceName: 'Pooled',
    });
    expect(signup.status).toBe(201);
    const owner = client.as(signup.body.token);
    const channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Pooled' })).body.id as string;
    const document = {
      schemaVersion: 1,
      nodes: [
        { id: 't', type: 'message_received', config: { match: { kind: 'keyword', keywords: ['hello'] } }, position: { x: 0, y: 0 } },
        { id: 's', type: 'send_message', config: { text: 'hello {{contact.name}}' }, position: { x: 1, y: 0 } },
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 's' }],
    };
    const flow = await owner.post('/api/v1/flows', { name: 'Greeter', document });
    expect(flow.status).toBe(201);
    expect((await owner.post(`/api/v1/flows/${flow.body.id}/publish`, {})).status).toBe(201);

    const senders = Array.from({ length: 40 }, (_, i) => ({ from: `+1555010${String(i).padStart(4, '0')}`, name: `Sender ${i}` }));
    const accepted = await Promise.all(
      senders.map((s) => owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { ...s, text: 'hello' })),
    );
    for (const res of accepted) expect(res.status, JSON.stringify(res.body)).toBe(202);

    const replies = await eventually(async () => {
      const rows = await directQuery<{ conversation_id: string; text: string; status: string }>(
        `select conversation_id, text, status from messages where direction = 'outbound' and channel_id = $1`,
        [channelId],
      );
      return rows.length >= senders.length && rows.every((r) => r.status !== 'queued') ? rows : undefined;
    }, 30_000);
    // Exactly one reply per sender, addressed by name, none failed.
    expect(replies).toHaveLength(senders.length);
    expect(new Set(replies.map((r) => r.conversation_id)).size).toBe(senders.length);
    expect(replies.filter((r) => r.status === 'failed')).toEqual([]);
    expect(replies.map((r) => r.text).sort()).toEqual(senders.map((s) => `hello ${s.name}`).sort());
    expect(await advisoryLocksHeld()).toBe('0');
  });

  it('finds no session-scoped advisory lock in the product: every lock ends with its transaction', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) {
          const text = readFileSync(path, 'utf8');
          for (const m of text.matchAll(/pg_(?:try_)?advisory_(?:xact_)?lock(?:_shared)?\b/g))
            if (!m[0].includes('xact')) offenders.push(`${path}: ${m[0]}`);
        }
      }
    };
    for (const dir of ['platform', 'connectors', 'api', 'engine', 'cli']) walk(join(import.meta.dirname, '..', dir));
    expect(offenders).toEqual([]);
  });
});
