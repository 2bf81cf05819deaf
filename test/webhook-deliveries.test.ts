import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { SafeHttpClient } from '../connectors/http/safe-http-client.ts';
import type { Clock } from '../engine/clock.ts';
import { newId } from '../platform/ids.ts';
import { createLogger } from '../platform/logger.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { WebhookDeliverer } from '../platform/webhooks/webhook-deliverer.ts';
import { WebhookEndpoints } from '../platform/webhooks/webhook-endpoints.ts';
import { emitEvent, WebhookEvents } from '../platform/webhooks/webhook-events.ts';
import { WebhookJobs } from '../platform/webhooks/webhook-jobs.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';
import { eventually } from './support/eventually.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';

const HOUR_MS = 3_600_000;
let env: TestEnv;
let queues: QueueFactory;
let hub: WebhookEvents;
const receiver = new WebhookReceiver();
let nowMs = Date.now();
const clock: Clock = { now: () => new Date(nowMs) };
const logger = createLogger('silent');
/** Retries after 50 ms, 100 ms, … instead of 10 s, 40 s, …: the schedule's shape, quicker. */
const quickPolicy = { firstDelayMs: 50, factor: 2, maxDelayMs: 1_000, jitter: 0 };
let workspaceId: string;

async function countRows(sql: string, bindings: Record<string, unknown>): Promise<number> {
  return Number((await testSql<{ n: number }>(env.orm.em.fork(), sql, bindings)).rows[0]!.n);
}

async function createEndpoint(url: string, eventTypes = ['contact.opted_out' as const]): Promise<{ id: string; secret: string }> {
  const em = env.orm.em.fork();
  const { endpoint, secret } = await new WebhookEndpoints(env.config.secretKey).create(
    em,
    workspaceId,
    { url, description: '', eventTypes, createdBy: null },
    clock.now(),
  );
  await hub.changed(workspaceId);
  return { id: endpoint.id, secret };
}

async function emitOptOut(contactId = newId()): Promise<void> {
  await env.orm.em
    .fork()
    .transactional((em) => emitEvent(em, { workspaceId, type: 'contact.opted_out', contactId, data: { contactId, source: 'api' } }));
}

beforeAll(async () => {
  env = await createTestEnv();
  queues = new QueueFactory(env.redis, env.config.redisPrefix);
  hub = WebhookEvents.attach(env.orm, { redis: env.redis, prefix: env.config.redisPrefix, queues, logger, clock });
  await hub.start();
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
  await hub.stop();
  await queues.close();
  await env.cleanup();
});

beforeEach(async () => {
  nowMs = Date.now();
  receiver.received.length = 0;
  receiver.answer = () => 200;
  workspaceId = newId();
  await runSql(env.orm.em.fork(), `insert into workspaces (id, name) values (:id, 'Hooks')`, { id: workspaceId });
});

describe('when no endpoint of the workspace subscribes to an event', () => {
  it('records nothing, and looks the subscriptions up once, not per event', async () => {
    await emitOptOut();
    expect(hub.cached(workspaceId)).toEqual(new Set());
    await emitOptOut();
    expect(await countRows(`select count(*) as n from webhook_events where workspace_id = :workspaceId`, { workspaceId })).toBe(0);
  });

  it('records the next event once an endpoint subscribes (the change clears the cache)', async () => {
    await emitOptOut();
    await createEndpoint('https://hooks.example.com/a');
    await emitOptOut();
    expect(await countRows(`select count(*) as n from webhook_deliveries where workspace_id = :workspaceId`, { workspaceId })).toBe(1);
  });
});

describe('when the transaction that emitted an event rolls back', () => {
  it('records no event and enqueues no delivery', async () => {
    await createEndpoint('https://hooks.example.com/b');
    await expect(
      env.orm.em.fork().transactional(async (em) => {
        await emitEvent(em, { workspaceId, type: 'contact.opted_out', data: {} });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await countRows(`select count(*) as n from webhook_events where workspace_id = :workspaceId`, { workspaceId })).toBe(0);
  });
});

describe('when a delivery is attempted against a local receiver', () => {
  let jobs: WebhookJobs;
  let deliverer: WebhookDeliverer;

  beforeAll(() => {
    deliverer = new WebhookDeliverer({
      orm: env.orm,
      http: new SafeHttpClient({ allowHosts: ['127.0.0.1'], maxRedirects: 0 }),
      secretKey: env.config.secretKey,
      clock: { now: () => new Date() },
      logger,
      events: hub,
      policy: quickPolicy,
    });
    jobs = new WebhookJobs({ orm: env.orm, queues, deliverer, clock: { now: () => new Date() }, logger });
    jobs.start(60_000, 4);
  });

  afterAll(() => jobs.stop());

  it('signs it so that Standard Webhooks verify accepts it, after the commit enqueued it', async () => {
    const { secret } = await createEndpoint(receiver.url);
    await emitOptOut('0e4c6a38-3a55-4d0e-a2b1-3c1f1c6b9f00');
    const got = await eventually(async () => receiver.received[0]);
    const payload = new Webhook(secret).verify(got.body, got.headers) as { type: string; data: { contactId: string } };
    expect(payload.type).toBe('contact.opted_out');
    expect(payload.data.contactId).toBe('0e4c6a38-3a55-4d0e-a2b1-3c1f1c6b9f00');
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(got.body, got.headers)).toThrow(
      'No matching signature found',
    );
  });

  it('retries after 500 answers with backoff, logging each attempt, until the receiver takes it', async () => {
    await createEndpoint(receiver.url);
    receiver.answer = (n) => (n < 2 ? 500 : 200);
    await emitOptOut();
    const delivery = await eventually(async () => {
      const { rows } = await testSql<{ id: string; status: string; attempts: number }>(
        env.orm.em.fork(),
        `select id, status, attempts from webhook_deliveries where workspace_id = :workspaceId`,
        { workspaceId },
      );
      return rows[0]?.status === 'succeeded' ? rows[0] : undefined;
    });
    expect(delivery.attempts).toBe(3);
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const attempts = (
      await testSql<{ statusCode: number; excerpt: string | null; error: string | null }>(
        env.orm.em.fork(),
        `select status_code as "statusCode", response_excerpt as excerpt, error from webhook_attempts where delivery_id = :id order by attempted_at`,
        { id: delivery.id },
      )
    ).rows;
    expect(attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(attempts[0]!.error).toBe('the endpoint answered 500');
    // The receiver's 5,000-character error page is cut to a bounded excerpt.
    expect(attempts[0]!.excerpt!.length).toBe(1_000);
  });

  it('redelivers with the same webhook-id, so a receiver deduplicating by it processes the event once', async () => {
    const { secret } = await createEndpoint(receiver.url);
    await emitOptOut();
    await eventually(async () => receiver.received[0]);
    const { rows } = await testSql<{ id: string }>(
      env.orm.em.fork(),
      `select id from webhook_deliveries where workspace_id = :workspaceId`,
      { workspaceId },
    );
    await jobs.redeliver(rows[0]!.id);
    await eventually(async () => receiver.received[1]);
    const processed = new Map<string, unknown>();
    for (const r of receiver.received) {
      const payload = new Webhook(secret).verify(r.body, r.headers);
      if (!processed.has(r.headers['webhook-id']!)) processed.set(r.headers['webhook-id']!, payload);
    }
    expect(receiver.received).toHaveLength(2);
    expect(processed.size).toBe(1);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    // The attempt is logged once the receiver's answer is in.
    await eventually(async () =>
      (await countRows(`select count(*) as n from webhook_attempts where delivery_id = :id and manual`, { id: rows[0]!.id })) === 1
        ? true
        : undefined,
    );
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const { id, secret: oldSecret } = await createEndpoint(receiver.url);
    const { secret: newSecret } = await new WebhookEndpoints(env.config.secretKey).rotateSecret(
      env.orm.em.fork(),
      workspaceId,
      id,
      new Date(),
    );
    await emitOptOut();
    const got = await eventually(async () => receiver.received[0]);
    expect(got.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(got.body, got.headers)).toMatchObject({ type: 'contact.opted_out' });
    expect(new Webhook(oldSecret).verify(got.body, got.headers)).toMatchObject({ type: 'contact.opted_out' });
  });
});

describe('when an endpoint is on a private address', () => {
  it('refuses to send there without the allow-list, and logs why', async () => {
    const deliverer = new WebhookDeliverer({
      orm: env.orm,
      http: new SafeHttpClient({ maxRedirects: 0 }),
      secretKey: env.config.secretKey,
      clock,
      logger,
      events: hub,
      policy: quickPolicy,
    });
    await createEndpoint(receiver.url);
    await env.orm.em.fork().transactional((em) => emitEvent(em, { workspaceId, type: 'contact.opted_out', data: {} }));
    const { rows } = await testSql<{ id: string }>(
      env.orm.em.fork(),
      `select id from webhook_deliveries where workspace_id = :workspaceId`,
      { workspaceId },
    );
    // The job enqueued by the commit is for the worker of the other block (allow-listed); this deliverer attempts it directly.
    const outcome = await deliverer.attempt(rows[0]!.id, { manual: true });
    expect(outcome.kind).toBe('failed');
    const attempt = (
      await testSql<{ error: string; statusCode: number | null }>(
        env.orm.em.fork(),
        `select error, status_code as "statusCode" from webhook_attempts where delivery_id = :id and manual`,
        { id: rows[0]!.id },
      )
    ).rows[0]!;
    expect(attempt.statusCode).toBeNull();
    expect(attempt.error).toMatch(/loopback/);
  });
});

describe('when an endpoint fails for a day', () => {
  it('is disabled with a notice to the owners, and its pending deliveries end', async () => {
    const failing = new WebhookReceiver();
    await failing.start();
    failing.answer = () => 503;
    try {
      const deliverer = new WebhookDeliverer({
        orm: env.orm,
        http: new SafeHttpClient({ allowHosts: ['127.0.0.1'], maxRedirects: 0 }),
        secretKey: env.config.secretKey,
        clock,
        logger,
        events: hub,
        policy: quickPolicy,
      });
      const { id } = await createEndpoint(failing.url);
      const start = nowMs;
      await env.orm.em.fork().transactional(async (em) => {
        await emitEvent(em, { workspaceId, type: 'contact.opted_out', data: { n: 1 } });
        await emitEvent(em, { workspaceId, type: 'contact.opted_out', data: { n: 2 } });
      });
      const [first, second] = (
        await testSql<{ id: string }>(
          env.orm.em.fork(),
          `select d.id from webhook_deliveries d join webhook_events e on e.id = d.event_id where d.workspace_id = :workspaceId order by e.payload #>> '{data,n}'`,
          { workspaceId },
        )
      ).rows;
      expect((await deliverer.attempt(first!.id)).kind).toBe('retry');
      nowMs = start + 12 * HOUR_MS;
      expect((await deliverer.attempt(first!.id)).kind).toBe('retry');
      let endpoint = await new WebhookEndpoints(env.config.secretKey).get(env.orm.em.fork(), workspaceId, id, clock.now());
      expect(endpoint).toMatchObject({ enabled: true, failingSince: new Date(start) });

      nowMs = start + 24 * HOUR_MS + 1_000;
      expect((await deliverer.attempt(first!.id)).kind).toBe('failed');
      endpoint = await new WebhookEndpoints(env.config.secretKey).get(env.orm.em.fork(), workspaceId, id, clock.now());
      expect(endpoint).toMatchObject({ enabled: false, disabledReason: 'failing' });
      const second_ = (
        await testSql<{ status: string; failureReason: string }>(
          env.orm.em.fork(),
          `select status, failure_reason as "failureReason" from webhook_deliveries where id = :id`,
          { id: second!.id },
        )
      ).rows[0]!;
      expect(second_).toEqual({ status: 'failed', failureReason: 'endpoint_disabled: the endpoint failed for a day and was disabled' });
      const notices = (
        await testSql<{ actorKind: string; targetId: string }>(
          env.orm.em.fork(),
          `select actor_kind as "actorKind", target_id as "targetId" from audit_log where workspace_id = :workspaceId and action = 'webhook.endpoint_disabled'`,
          { workspaceId },
        )
      ).rows;
      expect(notices).toEqual([{ actorKind: 'system', targetId: id }]);
      // A disabled endpoint gets no new events.
      expect(hub.cached(workspaceId)).toBeUndefined();
      await emitOptOut();
      expect(await countRows(`select count(*) as n from webhook_events where workspace_id = :workspaceId`, { workspaceId })).toBe(2);
    } finally {
      await failing.stop();
    }
  });

  it('is not disabled when a success came in between', async () => {
    const deliverer = new WebhookDeliverer({
      orm: env.orm,
      http: new SafeHttpClient({ allowHosts: ['127.0.0.1'], maxRedirects: 0 }),
      secretKey: env.config.secretKey,
      clock,
      logger,
      events: hub,
      policy: quickPolicy,
    });
    const { id } = await createEndpoint(receiver.url);
    const start = nowMs;
    receiver.answer = (n) => (n === 1 ? 200 : 500);
    for (const [n, at] of [
      [1, start],
      [2, start + 20 * HOUR_MS],
      [3, start + 25 * HOUR_MS],
    ] as const) {
      nowMs = at;
      await env.orm.em.fork().transactional((em) => emitEvent(em, { workspaceId, type: 'contact.opted_out', data: { n } }));
      const { rows } = await testSql<{ id: string }>(
        env.orm.em.fork(),
        `select d.id from webhook_deliveries d join webhook_events e on e.id = d.event_id where d.workspace_id = :workspaceId and e.payload #>> '{data,n}' = :n`,
        { workspaceId, n: String(n) },
      );
      await deliverer.attempt(rows[0]!.id, { manual: true });
    }
    const endpoint = await new WebhookEndpoints(env.config.secretKey).get(env.orm.em.fork(), workspaceId, id, clock.now());
    expect(endpoint).toMatchObject({ enabled: true, failingSince: new Date(start + 25 * HOUR_MS) });
  });
});
