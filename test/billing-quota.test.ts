import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../engine/clock.ts';
import type { Plan } from '../engine/billing/plans.ts';
import { defaultPlans, SELF_HOSTED_PLAN } from '../engine/billing/plans.ts';
import type { BillingProvider } from '../engine/ports/billing-provider.port.ts';
import { Billing } from '../platform/billing/billing.ts';
import { BillingEventProcessor } from '../platform/billing/billing-event.processor.ts';
import { BILLING_EVENT_GRACE_MS, BillingJobs } from '../platform/billing/billing-jobs.ts';
import { BILLING_EVENTS_QUEUE } from '../platform/billing/billing-event-intake.ts';
import { UsageMeter } from '../platform/billing/usage-meter.ts';
import { reconcileUsage } from '../platform/billing/usage-reconcile.ts';
import { readUsage } from '../platform/billing/usage-deltas.ts';
import { newId } from '../platform/ids.ts';
import { Outbox } from '../platform/pipeline/outbox.ts';
import type { OutboundRequest } from '../platform/pipeline/outbound-request.ts';
import { testSql } from './support/test-sql.ts';
import { eventually } from './support/eventually.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { createRedis } from '../platform/redis.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

const logger = pino({ level: 'silent' });
const LIMIT = 5;
const tiny: Plan = {
  ...SELF_HOSTED_PLAN,
  id: 'tiny',
  name: 'Tiny',
  entitlements: { ...SELF_HOSTED_PLAN.entitlements, messagesPerPeriod: LIMIT },
};
const free: Plan = {
  ...SELF_HOSTED_PLAN,
  id: 'free',
  name: 'Free',
  entitlements: { ...SELF_HOSTED_PLAN.entitlements, messagesPerPeriod: 1_000 },
};

let env: TestEnv;
let queues: QueueFactory;
let outbox: Outbox;

interface Fixture {
  workspaceId: string;
  conversationId: string;
}

async function sql<T = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(env.orm.em.fork(), text, bindings)).rows;
}

/** A workspace on the tiny plan (5 automated messages per period) with one conversation. */
async function workspace(plan = 'tiny'): Promise<Fixture> {
  const f = { workspaceId: newId(), channelId: newId(), contactId: newId(), conversationId: newId(), plan };
  await sql(`insert into workspaces (id, name, plan) values (:workspaceId, 'Quota test', :plan)`, f);
  await sql(
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`,
    f,
  );
  await sql(`insert into contacts (id, workspace_id, phone) values (:contactId, :workspaceId, '+15551230000')`, f);
  await sql(
    `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
    f,
  );
  return f;
}

function bot(f: Fixture, overrides: Partial<OutboundRequest> = {}): OutboundRequest {
  return {
    workspaceId: f.workspaceId,
    conversationId: f.conversationId,
    type: 'text',
    text: 'automated',
    idempotencyKey: newId(),
    sender: 'bot',
    ...overrides,
  };
}

async function status(messageId: string): Promise<{ status: string; failureReason: string | null }> {
  return (
    await sql<{ status: string; failureReason: string | null }>(
      `select status, failure_reason as "failureReason" from messages where id = :messageId`,
      { messageId },
    )
  )[0]!;
}

async function usage(workspaceId: string): Promise<{ automated: number; agent: number }> {
  return (
    await sql<{ automated: number; agent: number }>(
      `select automated_messages as automated, agent_messages as agent from billing_usage where workspace_id = :workspaceId`,
      { workspaceId },
    )
  )[0]!;
}

async function thresholds(workspaceId: string): Promise<number[]> {
  const rows = await sql<{ threshold: number }>(
    `select (details->>'threshold')::int as threshold from audit_log where workspace_id = :workspaceId and action = 'billing.usage_threshold' order by 1`,
    { workspaceId },
  );
  return rows.map((r) => r.threshold);
}

beforeAll(async () => {
  env = await createTestEnv();
  queues = new QueueFactory(env.redis, env.config.redisPrefix);
  outbox = new Outbox({ orm: env.orm, queues, logger, clock: systemClock, meter: new UsageMeter([free, tiny]) });
});

afterAll(async () => {
  await queues?.close();
  await env?.cleanup();
});

describe('when automated sends reach the quota one at a time', () => {
  it("sends the message that reaches 100 %, refuses the next with quota_exceeded, and still sends agents' replies", async () => {
    const f = await workspace();
    const sent = [];
    for (let i = 0; i < LIMIT; i++) sent.push(await outbox.send(bot(f)));
    expect(await usage(f.workspaceId)).toEqual({ automated: LIMIT, agent: 0 });
    // The fifth crossed 100 %: it is queued like the others.
    expect((await status(sent[LIMIT - 1]!.messageId)).status).not.toBe('failed');
    const after = await outbox.send(bot(f));
    expect(after.created).toBe(true);
    expect(await status(after.messageId)).toEqual({ status: 'failed', failureReason: 'quota_exceeded' });
    expect((await usage(f.workspaceId)).automated).toBe(LIMIT);
    const reply = await outbox.send(bot(f, { sender: 'agent' }));
    expect((await status(reply.messageId)).status).not.toBe('failed');
    expect(await usage(f.workspaceId)).toEqual({ automated: LIMIT, agent: 1 });
  });

  it("never counts nor refuses the replies of the editor's test chat (test contacts)", async () => {
    const f = await workspace();
    for (let i = 0; i < LIMIT; i++) await outbox.send(bot(f));
    const t = { workspaceId: f.workspaceId, contactId: newId(), conversationId: newId() };
    await sql(`insert into contacts (id, workspace_id, phone, is_test) values (:contactId, :workspaceId, '+9990000001', true)`, t);
    await sql(
      `insert into conversations (id, workspace_id, channel_id, contact_id) select :conversationId, :workspaceId, channel_id, :contactId from conversations where id = :base`,
      { ...t, base: f.conversationId },
    );
    const tested = await outbox.send(bot(t));
    expect((await status(tested.messageId)).status).not.toBe('failed');
    expect(await usage(f.workspaceId)).toEqual({ automated: LIMIT, agent: 0 });
    const { after } = await reconcileUsage(env.orm.em.fork(), f.workspaceId);
    expect(after.automatedMessages).toBe(LIMIT);
  });

  it('tells the owners once at 80, 90 and 100 %', async () => {
    const f = await workspace();
    for (let i = 0; i < LIMIT + 3; i++) await outbox.send(bot(f));
    expect(await thresholds(f.workspaceId)).toEqual([80, 90, 100]);
  });

  it('never counts a retried send twice (same idempotency key)', async () => {
    const f = await workspace();
    const key = newId();
    const first = await outbox.send(bot(f, { idempotencyKey: key }));
    const again = await outbox.send(bot(f, { idempotencyKey: key }));
    expect(again).toEqual({ messageId: first.messageId, created: false });
    expect((await usage(f.workspaceId)).automated).toBe(1);
  });
});

describe('when many senders cross the quota at once', () => {
  it('lets exactly the quota through, whatever the interleaving', async () => {
    const f = await workspace();
    const results = await Promise.all(Array.from({ length: 20 }, () => outbox.send(bot(f))));
    const statuses = await Promise.all(results.map((r) => status(r.messageId)));
    expect(statuses.filter((s) => s.status !== 'failed')).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s.failureReason === 'quota_exceeded')).toHaveLength(20 - LIMIT);
    expect((await usage(f.workspaceId)).automated).toBe(LIMIT);
    expect(await thresholds(f.workspaceId)).toEqual([80, 90, 100]);
  });

  it('splits a batch at the boundary: the first rows (in id order) go, the rest are refused', async () => {
    const f = await workspace();
    for (let i = 0; i < LIMIT - 2; i++) await outbox.send(bot(f));
    const em = env.orm.em.fork();
    const contact = (
      await sql<{ contactId: string; channelId: string }>(
        `select contact_id as "contactId", channel_id as "channelId" from conversations where id = :id`,
        { id: f.conversationId },
      )
    )[0]!;
    const rows = [0, 1, 2, 3].map(() => outbox.prepareQueued(bot(f), contact));
    const inserted = await em.transactional((tx) => outbox.insertQueuedRows(tx, rows));
    expect(inserted.size).toBe(4);
    const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await Promise.all(sorted.map(async (r) => (await status(r.id)).status))).toEqual(['queued', 'queued', 'failed', 'failed']);
  });
});

describe('when the counter is checked against the messages table', () => {
  it("recomputes the period's counts from the messages themselves", async () => {
    const f = await workspace();
    for (let i = 0; i < LIMIT + 2; i++) await outbox.send(bot(f));
    await outbox.send(bot(f, { sender: 'agent' }));
    await sql(`update billing_usage set automated_messages = 42, agent_messages = 0 where workspace_id = :workspaceId`, { ...f });
    const { before, after } = await reconcileUsage(env.orm.em.fork(), f.workspaceId);
    expect(before).toMatchObject({ automatedMessages: 42, agentMessages: 0 });
    // The two refused messages are not usage.
    expect(after).toEqual({ automatedMessages: LIMIT, agentMessages: 1, broadcastRecipients: 0 });
    expect(await usage(f.workspaceId)).toEqual({ automated: LIMIT, agent: 1 });
  });
});

describe('when the period ends', () => {
  it('starts the next one at zero with the first message after it', async () => {
    const f = await workspace();
    for (let i = 0; i < LIMIT + 1; i++) await outbox.send(bot(f));
    await sql(
      `update billing_usage set period_start = now() - interval '1 month' - interval '1 day', period_end = now() - interval '1 day' where workspace_id = :workspaceId`,
      { ...f },
    );
    const next = await outbox.send(bot(f));
    expect((await status(next.messageId)).status).not.toBe('failed');
    const row = (
      await sql<{ automated: number; started: boolean }>(
        `select automated_messages as automated, period_start = (now() - interval '1 day')::timestamptz or period_start > now() - interval '2 days' as started from billing_usage where workspace_id = :workspaceId`,
        { ...f },
      )
    )[0]!;
    expect(row).toEqual({ automated: 1, started: true });
  });
});

describe('when billing is off', () => {
  it('counts every message and refuses none', async () => {
    const unlimited = new Outbox({ orm: env.orm, queues, logger, clock: systemClock });
    const f = await workspace();
    for (let i = 0; i < LIMIT + 3; i++) expect((await status((await unlimited.send(bot(f))).messageId)).status).not.toBe('failed');
    // Counted as deltas, not on the usage row (test/billing-usage-deltas.test.ts): the usage read adds them.
    expect((await readUsage(env.orm.em.fork(), f.workspaceId, systemClock)).automatedMessages).toBe(LIMIT + 3);
  });
});

describe('when Redis is down', () => {
  let redis: ChildProcess;
  let deadQueues: QueueFactory;
  /** A connection made as the product makes its own (createRedis: commands wait for Redis to return), opened while Redis was up. */
  let productQueues: QueueFactory;
  let productRedis: ReturnType<typeof createRedis>;
  const port = 41_317;

  beforeAll(async () => {
    redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    // Until the new server answers: the probe reconnects by itself (retryStrategy) until it does.
    const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
    probe.connect().catch(() => undefined);
    await eventually(async () => (probe.status === 'ready' ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the test redis-server answering',
    });
    probe.disconnect();
    const connection = new Redis({ port, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 1_000 });
    connection.on('error', () => undefined);
    deadQueues = new QueueFactory(connection, 'omquota');
    productRedis = createRedis(`redis://127.0.0.1:${port}`);
    productRedis.on('error', () => undefined);
    productQueues = new QueueFactory(productRedis, 'omquota');
    await productQueues.queue(BILLING_EVENTS_QUEUE).waitUntilReady();
    redis.kill('SIGKILL');
    await once(redis, 'exit');
  });

  afterAll(async () => {
    await deadQueues.close(100).catch(() => undefined);
    // Ends the reconnect attempts; a command still waiting for Redis fails (and is caught where it was sent).
    productRedis.disconnect();
  });

  it('still enforces the quota exactly (the check lives in PostgreSQL): closed at the limit, open below it; the sends wait for Redis', async () => {
    const offline = new Outbox({ orm: env.orm, queues: deadQueues, logger, clock: systemClock, meter: new UsageMeter([free, tiny]) });
    const f = await workspace();
    // What a run does: record in its transaction; the dispatch to Redis comes after commit (and is redone by the reconciler).
    const results = await Promise.all(
      Array.from({ length: LIMIT + 3 }, () => env.orm.em.fork().transactional((tx) => offline.queueSend(tx, bot(f)))),
    );
    const statuses = await Promise.all(results.map((r) => status(r.messageId)));
    // Recorded queued up to the quota (the outbox reconciler dispatches them when Redis is back); refused beyond it.
    expect(statuses.filter((s) => s.status === 'queued')).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s.failureReason === 'quota_exceeded')).toHaveLength(3);
  });

  it(
    'acknowledges a Stripe event at once, recorded in PostgreSQL, and the billing reconciler queues it once Redis answers',
    { timeout: 60_000 },
    async () => {
      const unused = () => {
        throw new Error('Stripe is not called to accept an event');
      };
      const provider: BillingProvider = {
        createCustomer: unused,
        createCheckoutSession: unused,
        createPortalSession: unused,
        retrieveSubscription: unused,
        retrieveCustomer: unused,
        verifyEvent: unused,
      };
      const config = {
        stripe: { secretKey: 'sk_test_x', webhookSecret: 'whsec_x', webhookToleranceS: 300, apiUrl: null },
        plans: defaultPlans({ pro: null, business: null }),
      };
      const deps = { config, provider, orm: env.orm, clock: systemClock, publicUrl: 'http://localhost' };
      const offline = new Billing({ ...deps, queues: productQueues });
      const event = {
        id: 'evt_Fkredisdown',
        created: new Date(),
        customerId: null,
        type: 'unhandled',
        providerType: 'charge.updated',
      } as const;
      // Regression: the answer waited for the job to be added, which waits for Redis: Stripe got no answer until Redis came back.
      expect(await offline.acceptEvent(event)).toEqual({ duplicate: false });
      const recorded = await sql<{ processed: boolean }>(
        `select processed_at is not null as processed from billing_events where id = :id`,
        {
          id: event.id,
        },
      );
      expect(recorded).toEqual([{ processed: false }]);

      // Redis answers again (here: the test's own): the reconciler queues what waited longer than its grace period, and it is processed.
      const later = { now: () => new Date(Date.now() + BILLING_EVENT_GRACE_MS + 1_000) };
      const billing = new Billing({ ...deps, queues });
      const processor = new BillingEventProcessor({ orm: env.orm, provider, catalog: billing.catalog, logger });
      const jobs = new BillingJobs({ orm: env.orm, queues, clock: later, logger, billing, processor });
      expect((await jobs.runOnce()).requeued).toBe(1);
      expect(await queues.queue(BILLING_EVENTS_QUEUE).getJobState(`billing-event-${event.id}`)).toBe('waiting');
      expect(await processor.process(event.id)).toBe('ignored: charge.updated is not used');
      expect((await jobs.runOnce()).requeued).toBe(0);
    },
  );
});
