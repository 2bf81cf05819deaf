import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config.ts';
import { testSql } from './support/test-sql.ts';
import { createRedis, deleteKeysMatching, type Redis } from '../platform/redis.ts';
import { runRoles, type RunningProcess } from '../platform/runtime/run-roles.ts';
import { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { startOwnRedisCluster, type OwnRedisCluster } from './support/own-services.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * The product against a Redis Cluster of three masters (README, "Scaling out"): BullMQ queues,
 * timers, the inbox bus and the scripts that touch several keys all work when REDIS_PREFIX holds
 * a hash tag, and the product refuses to start with a prefix that has none.
 */
let cluster: OwnRedisCluster;
let env: TestEnv;
let product: RunningProcess | undefined;
let redis: Redis;
const prefix = `{omtest-${randomBytes(4).toString('hex')}}`;

beforeAll(async () => {
  cluster = await startOwnRedisCluster(3);
  env = await createTestEnv();
  redis = createRedis(cluster.url);
});

afterAll(async () => {
  await product?.shutdown.run('test finished');
  await deleteKeysMatching(redis, `${prefix}:*`).catch(() => undefined);
  redis?.disconnect();
  await env?.cleanup();
  await cluster?.stop();
});

describe('a Redis Cluster of three masters', () => {
  it('is refused with a prefix that holds no hash tag, in words that say what to set', () => {
    expect(() =>
      loadConfig({
        REDIS_URL: 'redis+cluster://127.0.0.1:7000',
        REDIS_PREFIX: 'om',
        NODE_ENV: 'test',
        ONEMESSAGE_SECRET_KEY: randomBytes(32).toString('hex'),
      }),
    ).toThrow(/REDIS_PREFIX: with a Redis Cluster .* must hold a hash tag such as \{om\}/);
  });

  it('carries the whole product: 20 senders each get the first reply, then the second after a 2-second delay, exactly once and in order', async () => {
    product = await runRoles(
      ['api', 'worker', 'connector'],
      {
        DATABASE_URL: env.config.databaseUrl,
        REDIS_URL: cluster.url,
        REDIS_PREFIX: prefix,
        PORT: '0',
        HOST: '127.0.0.1',
        ONEMESSAGE_SECRET_KEY: env.config.secretKey.toString('hex'),
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        NODE_ENV: 'test',
      },
      { exit: () => undefined, listenForSignals: false },
    );
    const client = new ApiClient(`http://127.0.0.1:${product.port}`);
    const signup = await client.post('/api/v1/auth/signup', {
      email: 'cluster@example.com',
      password: 'password-123',
      name: 'Kim',
      workspaceName: 'Clustered',
    });
    expect(signup.status).toBe(201);
    const owner = client.as(signup.body.token);
    const channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Clustered' })).body.id as string;
    const at = (x: number) => ({ x, y: 0 });
    const document = {
      schemaVersion: 1,
      nodes: [
        { id: 't', type: 'message_received', config: { match: { kind: 'keyword', keywords: ['hello'] } }, position: at(0) },
        { id: 'first', type: 'send_message', config: { text: 'first {{contact.name}}' }, position: at(1) },
        { id: 'pause', type: 'delay', config: { mode: 'duration', duration: { amount: 2, unit: 'seconds' } }, position: at(2) },
        { id: 'second', type: 'send_message', config: { text: 'second {{message.text}}' }, position: at(3) },
      ],
      edges: [
        { id: 'e1', source: 't', sourceHandle: 'out', target: 'first' },
        { id: 'e2', source: 'first', sourceHandle: 'out', target: 'pause' },
        { id: 'e3', source: 'pause', sourceHandle: 'out', target: 'second' },
      ],
    };
    const flow = await owner.post('/api/v1/flows', { name: 'Two replies', document });
    expect(flow.status).toBe(201);
    expect((await owner.post(`/api/v1/flows/${flow.body.id}/publish`, {})).status).toBe(201);

    const senders = Array.from({ length: 20 }, (_, i) => ({ from: `+1555020${String(i).padStart(4, '0')}`, name: `Sender ${i}` }));
    const accepted = await Promise.all(
      senders.map((s) => owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { ...s, text: 'hello' })),
    );
    for (const res of accepted) expect(res.status, JSON.stringify(res.body)).toBe(202);

    const em = env.orm.em.fork();
    const rows = await eventually(async () => {
      const { rows } = await testSql<{ conversationId: string; text: string; status: string }>(
        em,
        `select conversation_id as "conversationId", text, status from messages where direction = 'outbound' and channel_id = :channelId order by created_at, id`,
        { channelId },
      );
      return rows.length >= 2 * senders.length && rows.every((r) => r.status === 'read') ? rows : undefined;
    }, 30_000);
    expect(rows).toHaveLength(2 * senders.length);
    const byConversation = new Map<string, string[]>();
    for (const r of rows) byConversation.set(r.conversationId, [...(byConversation.get(r.conversationId) ?? []), r.text]);
    expect(byConversation.size).toBe(senders.length);
    for (const texts of byConversation.values()) {
      expect(texts).toHaveLength(2);
      expect(texts[0]).toMatch(/^first Sender \d+$/);
      expect(texts[1]).toBe('second hello');
    }
    // The login limiter's five-key script runs on the cluster too.
    expect((await owner.post('/api/v1/auth/login', { email: 'cluster@example.com', password: 'wrong password' })).status).toBe(401);
    // The product's keys are in the cluster, all on the master that owns the hash tag's slot.
    const keysPerMaster = await Promise.all(
      cluster.ports.map(async (port) => {
        const node = createRedis(`redis://127.0.0.1:${port}`);
        try {
          return (await node.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 100_000))[1].length;
        } finally {
          node.disconnect();
        }
      }),
    );
    expect(keysPerMaster.filter((n) => n > 0)).toHaveLength(1);
    expect(Math.max(...keysPerMaster)).toBeGreaterThan(10);
  });
});
