import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../platform/http/request-record.ts';
import { createLogger } from '../platform/logger.ts';
import { newId } from '../platform/ids.ts';
import { UsageRecorder } from '../platform/usage/usage-recorder.ts';
import type { Orm } from '../platform/db/orm.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
const logger = createLogger('silent');

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

function record(path: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    method: 'GET',
    route: '/v1/contacts',
    path,
    status: 200,
    durationMs: 3.5,
    ip: '127.0.0.1',
    userAgent: 'vitest',
    workspaceId: null,
    userId: null,
    at: new Date(),
    ...overrides,
  };
}

async function paths(): Promise<string[]> {
  const rows = await env.orm.em.fork().getConnection().execute<{ path: string }[]>(`select path from usage_events order by id`);
  return rows.map((r) => r.path);
}

/** An ORM whose queries fail as when Postgres is down, and that counts INSERTs. */
function downOrm(): { orm: Orm; inserts: () => number } {
  let inserts = 0;
  // The part of an entity manager runSql uses: no transaction, and a knex whose statements fail to connect.
  const orm = {
    em: {
      fork: () => ({
        getTransactionContext: () => undefined,
        getKnex: () => ({
          raw: () => ({
            options: async () => {
              inserts++;
              throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
            },
          }),
        }),
      }),
    },
  } as unknown as Orm;
  return { orm, inserts: () => inserts };
}

describe('when API requests are observed', () => {
  it('keeps which kind of request was made, never the ids it named', async () => {
    await env.orm.em.fork().getConnection().execute('delete from usage_events');
    const recorder = new UsageRecorder({ orm: env.orm, logger, flushIntervalMs: 60_000 });
    recorder.observe(record('/api/v1/contacts/01a249c9-c0b9-7521-bd19-40753dc41a4b/erase'));
    await recorder.flush();
    expect(await paths()).toEqual(['/api/v1/contacts/:id/erase']);
  });

  it('writes nothing during the request and everything in one INSERT at the next flush', async () => {
    await env.orm.em.fork().getConnection().execute('delete from usage_events');
    const recorder = new UsageRecorder({ orm: env.orm, logger, flushIntervalMs: 60_000 });
    for (let i = 0; i < 3; i++) recorder.observe(record(`/api/v1/contacts/${i}`));
    expect(recorder.pending).toBe(3);
    expect(await paths()).toEqual([]);
    await recorder.flush();
    expect(recorder.pending).toBe(0);
    expect(await paths()).toEqual(['/api/v1/contacts/0', '/api/v1/contacts/1', '/api/v1/contacts/2']);
  });

  it('ignores operations traffic (health probes, metrics, static files)', () => {
    const recorder = new UsageRecorder({ orm: env.orm, logger });
    recorder.observe(record('/healthz', { route: '/healthz' }));
    recorder.observe(record('/metrics', { route: '/metrics' }));
    recorder.observe(record('/index.html', { route: '/index.html' }));
    expect(recorder.pending).toBe(0);
  });

  it('writes a full batch without waiting for the timer', async () => {
    await env.orm.em.fork().getConnection().execute('delete from usage_events');
    const recorder = new UsageRecorder({ orm: env.orm, logger, batchRows: 5, flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) recorder.observe(record(`/api/v1/x/${i}`));
    await recorder.flush();
    expect(await paths()).toHaveLength(5);
  });

  it('writes what is left when stopped', async () => {
    await env.orm.em.fork().getConnection().execute('delete from usage_events');
    const recorder = new UsageRecorder({ orm: env.orm, logger, flushIntervalMs: 60_000 });
    recorder.start();
    recorder.observe(record('/api/v1/last'));
    await recorder.stop();
    expect(await paths()).toEqual(['/api/v1/last']);
  });
});

describe('when the database does not answer', () => {
  it('keeps the newest rows up to the bound, drops the oldest and counts them', async () => {
    const { orm, inserts } = downOrm();
    const dropped: number[] = [];
    const recorder = new UsageRecorder({
      orm,
      logger,
      batchRows: 2,
      bufferMaxRows: 3,
      flushIntervalMs: 60_000,
      onDropped: (n) => dropped.push(n),
    });
    for (let i = 0; i < 5; i++) recorder.observe(record(`/api/v1/r/${i}`));
    await recorder.flush();
    expect(inserts()).toBeGreaterThan(0);
    expect(recorder.pending).toBe(3);
    expect(recorder.dropped).toBe(2);
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(2);
  });
});

describe('when the database refuses a batch for good', () => {
  it('drops that batch, counts it, and goes on with the next', async () => {
    await env.orm.em.fork().getConnection().execute('delete from usage_events');
    const recorder = new UsageRecorder({ orm: env.orm, logger, batchRows: 1, flushIntervalMs: 60_000 });
    // A workspace that does not exist breaks the foreign key.
    recorder.observe(record('/api/v1/orphan', { workspaceId: newId() }));
    recorder.observe(record('/api/v1/fine'));
    await recorder.flush();
    expect(recorder.dropped).toBe(1);
    expect(await paths()).toEqual(['/api/v1/fine']);
  });
});
