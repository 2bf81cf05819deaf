import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { SandboxConnector, type SandboxOutbound } from '../connectors/sandbox/sandbox.connector.ts';
import { SandboxReceipts } from '../platform/pipeline/sandbox-receipts.ts';
import { systemClock, type Clock } from '../engine/clock.ts';
import { PermanentError, RateLimitedError, UnavailableError, type AppError } from '../engine/errors/app-error.ts';
import { ContactUnreachableError } from '../engine/errors/contact-unreachable.error.ts';
import type { ChannelConnector } from '../engine/ports/channel-connector.port.ts';
import { newId } from '../platform/ids.ts';
import { ConnectorRegistry } from '../platform/pipeline/connector-registry.ts';
import type { OutboundRequest } from '../platform/pipeline/outbound-request.ts';
import { Outbox } from '../platform/pipeline/outbox.ts';
import { OutboxReconciler } from '../platform/pipeline/outbox-reconciler.ts';
import { testSql } from './support/test-sql.ts';
import { sendQueueName } from '../platform/pipeline/send-job.ts';
import { SendWorker } from '../platform/pipeline/send-worker.ts';
import { StatusUpdater } from '../platform/pipeline/status-updater.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';
import { eventually } from './support/eventually.ts';

const logger = pino({ level: 'silent' });
/** Long enough for a send through Redis and Postgres on a slow CI machine; polling returns as soon as the condition holds. */
const DEADLINE_MS = 10_000;

let env: TestEnv;
let queues: QueueFactory;
let statuses: StatusUpdater;
let sandbox: SandboxConnector;
let outbox: Outbox;
let worker: SendWorker;
/** Errors the connector throws, in order, before it lets a channel's sends through to the sandbox. */
const scriptedErrors = new Map<string, AppError[]>();
/** Texts whose send the connector holds back this many ms (a slow provider call). */
const slowTexts = new Map<string, number>();
const delivered: SandboxOutbound[] = [];

async function sql<Row = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<Row[]> {
  return (await testSql<Row>(env.orm.em.fork(), text, bindings)).rows;
}

/** The value `probe` answers once `accept` takes it (the failure shows the last value). */
async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  return eventually(
    async () => {
      last = await probe();
      return accept(last) ? last : undefined;
    },
    { timeoutMs: DEADLINE_MS, intervalMs: 20, progress: () => `last value: ${JSON.stringify(last)}` },
  );
}

async function message(id: string): Promise<any> {
  return (await sql(`select * from messages where id = :id`, { id }))[0];
}

async function messageReaches(id: string, status: string): Promise<any> {
  return until(
    () => message(id),
    (m) => m?.status === status,
  );
}

// A type alias, not an interface, so that a fixture can be passed as SQL bindings.
type Fixture = {
  workspaceId: string;
  channelId: string;
  contactId: string;
  conversationId: string;
};

/** A sandbox channel with one contact and an open conversation; the send worker is told unless `announce` is false. */
async function createFixture(opts: { announce?: boolean } = {}): Promise<Fixture> {
  const f = { workspaceId: newId(), channelId: newId(), contactId: newId(), conversationId: newId() };
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Outbound test')`, f);
  await sql(
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`,
    f,
  );
  await sql(`insert into contacts (id, workspace_id, phone, name) values (:contactId, :workspaceId, '+15551230000', 'Sam')`, f);
  await sql(
    `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
    f,
  );
  if (opts.announce !== false) await worker.channelAdded(f.channelId);
  return f;
}

function request(f: Fixture, overrides: Partial<OutboundRequest> = {}): OutboundRequest {
  return {
    workspaceId: f.workspaceId,
    conversationId: f.conversationId,
    type: 'text',
    text: 'hello from the bot',
    idempotencyKey: newId(),
    sender: 'bot',
    ...overrides,
  };
}

function deliveriesOf(messageId: string): SandboxOutbound[] {
  return delivered.filter((d) => d.messageId === messageId);
}

beforeAll(async () => {
  env = await createTestEnv();
  queues = new QueueFactory(env.redis, env.config.redisPrefix);
  statuses = new StatusUpdater({ orm: env.orm, logger });
  const receipts = new SandboxReceipts({ queues, statuses, clock: systemClock, logger, deliveredAfterMs: 10, readAfterMs: 10 });
  receipts.startWorker();
  sandbox = new SandboxConnector({ receipts, clock: systemClock, logger });
  sandbox.onOutbound((m) => delivered.push(m));
  const scripted: ChannelConnector = {
    kind: 'sandbox',
    async send(m) {
      const next = scriptedErrors.get(m.channelId)?.shift();
      if (next) throw next;
      const slowMs = m.text ? slowTexts.get(m.text) : undefined;
      if (slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
      return sandbox.send(m);
    },
  };
  // As the connector role registers the sandbox: several sends of a channel in flight at once.
  const connectors = new ConnectorRegistry().register(scripted, { deduplicatesSends: true, sendsInFlightPerChannel: 8 });
  // One retry policy for the jobs the outbox queues and those a batch hands messages to, as in the product.
  const retry = { attempts: 3, backoffMs: 20 };
  outbox = new Outbox({ orm: env.orm, queues, logger, clock: systemClock, retry });
  worker = new SendWorker({ orm: env.orm, queues, redis: env.redis, connectors, logger, clock: systemClock, retry });
  await worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await queues?.close();
  await env?.cleanup();
});

describe('when a bot reply is queued in a transaction and dispatched after commit', () => {
  it('is sent through the sandbox, then delivered and read, with a time for each status', async () => {
    const f = await createFixture();
    const queued = await env.orm.em.fork().transactional((em) => outbox.queueSend(em, request(f)));
    expect(queued).toMatchObject({ created: true, channelId: f.channelId });
    expect((await message(queued.messageId)).status).toBe('queued');

    await outbox.dispatch([queued]);
    const read = await messageReaches(queued.messageId, 'read');

    expect(read).toMatchObject({
      direction: 'outbound',
      sender: 'bot',
      provider_message_id: `sandbox:${queued.messageId}`,
      failure_reason: null,
    });
    const times = read.status_times;
    expect(Object.keys(times).sort()).toEqual(['delivered', 'queued', 'read', 'sent']);
    expect(Date.parse(times.queued)).toBeLessThanOrEqual(Date.parse(times.sent));
    expect(Date.parse(times.sent)).toBeLessThanOrEqual(Date.parse(times.delivered));
    expect(Date.parse(times.delivered)).toBeLessThanOrEqual(Date.parse(times.read));
    expect(read.metadata.send).toEqual({ attempts: 1 });
    expect(deliveriesOf(queued.messageId)).toHaveLength(1);
    expect(deliveriesOf(queued.messageId)[0]).toMatchObject({
      text: 'hello from the bot',
      to: { contactId: f.contactId, phone: '+15551230000' },
    });
  });
});

describe('when a conversation has several replies queued and its channel sends in parallel', () => {
  it('sends them in the order they were queued, while another conversation of the channel goes ahead', async () => {
    const f = await createFixture();
    const other = { ...f, contactId: newId(), conversationId: newId() };
    await sql(`insert into contacts (id, workspace_id, phone, name) values (:contactId, :workspaceId, '+15551230001', 'Kim')`, other);
    await sql(
      `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
      other,
    );
    slowTexts.set('first, slow', 300);
    const texts = ['first, slow', 'second', 'third', 'fourth'];
    const queued = await env.orm.em.fork().transactional(async (em) => {
      const mine = [];
      for (const text of texts) mine.push(await outbox.queueSend(em, request(f, { text })));
      return { mine, theirs: await outbox.queueSend(em, request(other, { text: 'meanwhile' })) };
    });
    await outbox.dispatch([...queued.mine, queued.theirs]);
    for (const q of [...queued.mine, queued.theirs])
      await until(
        () => message(q.messageId),
        (m) => ['sent', 'delivered', 'read'].includes(m?.status),
      );

    const order = delivered.filter((d) => d.to.contactId === f.contactId || d.to.contactId === other.contactId).map((d) => d.text);
    expect(order.filter((t) => t !== 'meanwhile')).toEqual(texts);
    // The other conversation did not wait for the slow send.
    expect(order.indexOf('meanwhile')).toBeLessThan(order.indexOf('first, slow'));
    for (const q of queued.mine) expect((await message(q.messageId)).metadata.send.attempts).toBe(1);
  });
});

describe('when many conversations of two channels have replies queued at once', () => {
  it("sends each message exactly once, and each conversation's in the order they were queued", async () => {
    const channels = [await createFixture(), await createFixture()];
    const conversations: Fixture[] = [];
    for (let i = 0; i < 50; i++) {
      const channel = channels[i % 2]!;
      const c = { ...channel, contactId: newId(), conversationId: newId(), phone: `+1555300${String(i).padStart(4, '0')}` };
      await sql(`insert into contacts (id, workspace_id, phone, name) values (:contactId, :workspaceId, :phone, 'Many')`, c);
      await sql(
        `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
        c,
      );
      conversations.push(c);
    }
    const perConversation = 4;
    // Queued round by round, so that every conversation's messages interleave with the others'.
    const queued = await env.orm.em.fork().transactional(async (em) => {
      const all: { conversationId: string; messageId: string; channelId: string }[] = [];
      for (let round = 0; round < perConversation; round++) {
        for (const c of conversations) {
          const q = await outbox.queueSend(em, request(c, { text: `${c.conversationId} #${round}` }));
          all.push({ ...q, conversationId: c.conversationId });
        }
      }
      return all;
    });
    // Latest first: later messages' jobs start before their conversation's earlier ones.
    await outbox.dispatch([...queued].reverse());

    const ids = queued.map((q) => q.messageId);
    await until(
      () =>
        sql<{ n: number }>(
          `select count(*)::int as n from messages where id = any(cast(:ids as uuid[])) and status in ('sent', 'delivered', 'read')`,
          { ids },
        ),
      (rows) => rows[0]?.n === ids.length,
    );

    const rows = await sql<{ id: string; metadata: { send: { attempts: number } }; status_times: { sent: string } }>(
      `select id, metadata, status_times from messages where id = any(cast(:ids as uuid[]))`,
      { ids },
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of ids) {
      expect(deliveriesOf(id)).toHaveLength(1);
      expect(byId.get(id)!.metadata.send.attempts).toBe(1);
    }
    for (const c of conversations) {
      const inQueueOrder = queued.filter((q) => q.conversationId === c.conversationId).map((q) => q.messageId);
      const inProviderOrder = delivered.filter((d) => d.to.contactId === c.contactId).map((d) => d.messageId);
      expect(inProviderOrder).toEqual(inQueueOrder);
      const sentTimes = inQueueOrder.map((id) => Date.parse(byId.get(id)!.status_times.sent));
      expect(sentTimes).toEqual([...sentTimes].sort((a, b) => a - b));
    }
  });
});

describe('when the same idempotency key is sent twice', () => {
  it('records one message and sends it once', async () => {
    const f = await createFixture();
    const key = `run:${newId()}:step-1`;
    const first = await outbox.send(request(f, { idempotencyKey: key }));
    const again = await outbox.send(request(f, { idempotencyKey: key }));
    const racing = await Promise.all([outbox.send(request(f, { idempotencyKey: key })), outbox.send(request(f, { idempotencyKey: key }))]);

    expect(first.created).toBe(true);
    for (const r of [again, ...racing]) expect(r).toEqual({ messageId: first.messageId, created: false });
    await messageReaches(first.messageId, 'read');
    expect(
      await sql(`select id from messages where channel_id = :channelId and idempotency_key = :key`, { channelId: f.channelId, key }),
    ).toHaveLength(1);
    // Re-dispatching the same message adds no job and sends nothing more.
    await outbox.dispatch([{ channelId: f.channelId, messageId: first.messageId }]);
    expect(deliveriesOf(first.messageId)).toHaveLength(1);
  });

  it('also concurrently with the first send, before anything is committed', async () => {
    const f = await createFixture();
    const key = `broadcast:${newId()}`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => outbox.send(request(f, { idempotencyKey: key, sender: 'broadcast' }))),
    );

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.messageId)).size).toBe(1);
    await messageReaches(results[0]!.messageId, 'read');
    expect(deliveriesOf(results[0]!.messageId)).toHaveLength(1);
  });
});

describe('when the contact opted out', () => {
  it('refuses a bot or broadcast send and records nothing', async () => {
    const f = await createFixture();
    await sql(`update contacts set opted_out_at = now() where id = :contactId`, f);

    for (const sender of ['bot', 'broadcast'] as const) {
      const error = await outbox.send(request(f, { sender })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContactUnreachableError);
      expect((error as ContactUnreachableError).message).toBe(`contact ${f.contactId} receives no automated messages (opted out)`);
    }
    expect(await sql(`select id from messages where conversation_id = :conversationId`, f)).toHaveLength(0);
  });

  it('still lets an agent reply', async () => {
    const f = await createFixture();
    await sql(`update contacts set opted_out_at = now() where id = :contactId`, f);
    const sent = await outbox.send(request(f, { sender: 'agent', text: 'a person answering' }));
    await messageReaches(sent.messageId, 'read');
  });

  it('fails a bot message queued before the opt-out instead of sending it', async () => {
    const f = await createFixture();
    const queued = await env.orm.em.fork().transactional((em) => outbox.queueSend(em, request(f)));
    await sql(`update contacts set opted_out_at = now() where id = :contactId`, f);
    await outbox.dispatch([queued]);

    const failed = await messageReaches(queued.messageId, 'failed');
    expect(failed.failure_reason).toBe('contact_unreachable: opted_out');
    expect(deliveriesOf(queued.messageId)).toHaveLength(0);
  });
});

describe('when provider status updates arrive out of order', () => {
  it('records read, then ignores the late delivered without moving backward', async () => {
    const f = await createFixture();
    const queued = await env.orm.em.fork().transactional((em) => outbox.queueSend(em, request(f)));
    // Stands for a message the worker sent: not dispatched, so the sandbox does not report on it.
    await sql(
      `update messages set status = 'sent', provider_message_id = 'provider-1', status_times = status_times || '{"sent":"2026-01-01T00:00:00.000Z"}' where id = :id`,
      { id: queued.messageId },
    );

    const readAt = new Date('2026-01-01T00:00:05.000Z');
    const update = { channelId: f.channelId, providerMessageId: 'provider-1' };
    expect(await statuses.apply({ ...update, status: 'read', at: readAt })).toBe(true);
    expect(await statuses.apply({ ...update, status: 'delivered', at: new Date('2026-01-01T00:00:03.000Z') })).toBe(false);
    expect(await statuses.apply({ ...update, status: 'read', at: new Date('2026-01-01T00:00:09.000Z') })).toBe(false);
    expect(await statuses.apply({ ...update, status: 'sent', at: new Date('2026-01-01T00:00:10.000Z') })).toBe(false);

    const m = await message(queued.messageId);
    expect(m.status).toBe('read');
    expect(m.status_times).toMatchObject({ sent: '2026-01-01T00:00:00.000Z', delivered: readAt.toISOString(), read: readAt.toISOString() });
  });

  it('ignores an update for an unknown provider id', async () => {
    const f = await createFixture({ announce: false });
    expect(await statuses.apply({ channelId: f.channelId, providerMessageId: 'nobody', status: 'delivered', at: new Date() })).toBe(false);
  });
});

describe('when the connector answers with a retryable error', () => {
  it('retries with backoff and sends once it succeeds', async () => {
    const f = await createFixture();
    scriptedErrors.set(f.channelId, [new UnavailableError('provider busy')]);
    const sent = await outbox.send(request(f));

    const read = await messageReaches(sent.messageId, 'read');
    expect(read.metadata.send).toEqual({ attempts: 2, lastError: 'unavailable: provider busy' });
    expect(deliveriesOf(sent.messageId)).toHaveLength(1);
  });

  it('waits out a lasting condition (a rate cap) without spending its attempts, then sends', async () => {
    const f = await createFixture();
    // More refusals than the 3 attempts allow: each asks to wait 50 ms, which is not an attempt.
    scriptedErrors.set(
      f.channelId,
      [1, 2, 3, 4].map(() => new RateLimitedError(0.05)),
    );
    const sent = await outbox.send(request(f));

    const read = await messageReaches(sent.messageId, 'read');
    expect(read.metadata.send).toEqual({ attempts: 5, lastError: 'rate_limited: too many attempts; try again in 0.05 s' });
    expect(deliveriesOf(sent.messageId)).toHaveLength(1);
  });

  it('fails the message with the reason once the attempts are exhausted', async () => {
    const f = await createFixture();
    scriptedErrors.set(
      f.channelId,
      [1, 2, 3].map(() => new UnavailableError('provider down')),
    );
    const sent = await outbox.send(request(f));

    const failed = await messageReaches(sent.messageId, 'failed');
    expect(failed.failure_reason).toBe('unavailable: provider down');
    expect(failed.metadata.send.attempts).toBe(3);
    expect(deliveriesOf(sent.messageId)).toHaveLength(0);
  });
});

describe('when the connector answers with a permanent error', () => {
  it('marks the message failed with the reason and does not retry', async () => {
    const f = await createFixture();
    scriptedErrors.set(f.channelId, [new PermanentError('number is not on WhatsApp'), new PermanentError('retried by mistake')]);
    const sent = await outbox.send(request(f));

    const failed = await messageReaches(sent.messageId, 'failed');
    expect(failed.failure_reason).toBe('permanent_failure: number is not on WhatsApp');
    expect(typeof failed.status_times.failed).toBe('string');
    expect(failed.metadata.send).toEqual({ attempts: 1 });
    const job = await queues.queue(sendQueueName(f.channelId)).getJob(sent.messageId);
    expect(job?.attemptsMade).toBe(1);
  });
});

describe('when a queued message lost its job (Redis lost data)', () => {
  it('is re-dispatched by the reconciler and sent exactly once', async () => {
    const f = await createFixture({ announce: false });
    const sent = await outbox.send(request(f));
    const queue = queues.queue(sendQueueName(f.channelId));
    await queue.obliterate({ force: true });
    expect(await queue.getJobState(sent.messageId)).toBe('unknown');
    await worker.channelAdded(f.channelId);

    const later: Clock = { now: () => new Date(Date.now() + 60_000) };
    const reconciler = new OutboxReconciler({ orm: env.orm, queues, outbox, logger, clock: later, afterMs: 30_000 });
    const young = new OutboxReconciler({ orm: env.orm, queues, outbox, logger, clock: systemClock, afterMs: 30_000 });
    expect(await young.runOnce()).toBe(0);
    expect(await reconciler.runOnce()).toBe(1);

    await messageReaches(sent.messageId, 'read');
    expect(await reconciler.runOnce()).toBe(0);
    expect(deliveriesOf(sent.messageId)).toHaveLength(1);
  });
});

describe('when messages are recorded together for one batch send job', () => {
  /** Records two messages of two conversations of the fixture's channel with one batch job, and dispatches it. */
  async function recordTogether(f: Fixture): Promise<{ ids: string[]; batchJobId: string }> {
    const second = { ...f, contactId: newId(), conversationId: newId() };
    await sql(`insert into contacts (id, workspace_id, phone, name) values (:contactId, :workspaceId, '+15551230001', 'Kim')`, second);
    await sql(
      `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
      second,
    );
    const rows = [f, second].map((target) =>
      outbox.prepareQueued(request(target), { channelId: target.channelId, contactId: target.contactId }),
    );
    const batchJobs = outbox.sendTogether(rows);
    await env.orm.em.fork().transactional((em) => outbox.insertQueuedRows(em, rows));
    const batchJobId = batchJobs.get(rows[0]!.id)!;
    expect(batchJobs.get(rows[1]!.id)).toBe(batchJobId);
    await outbox.dispatch(rows.map((r) => ({ channelId: r.channel_id, messageId: r.id, batchJobId })));
    return { ids: rows.map((r) => r.id), batchJobId };
  }

  it('sends them through that job, each once', async () => {
    const f = await createFixture();
    const { ids, batchJobId } = await recordTogether(f);
    for (const id of ids)
      expect((await messageReaches(id, 'read')).metadata.batchJob).toEqual({ queue: sendQueueName(f.channelId), id: batchJobId });
    for (const id of ids) expect(deliveriesOf(id)).toHaveLength(1);
    const job = await queues.queue(sendQueueName(f.channelId)).getJob(batchJobId);
    expect(job?.returnvalue).toEqual({ sent: 2, failed: 0, handedOff: 0, alreadyHandled: 0 });
  });

  it('leaves them to their batch job while it lives, and re-dispatches them once it is lost', async () => {
    const f = await createFixture({ announce: false });
    const { ids } = await recordTogether(f);
    const later: Clock = { now: () => new Date(Date.now() + 60_000) };
    const reconciler = new OutboxReconciler({ orm: env.orm, queues, outbox, logger, clock: later, afterMs: 30_000 });
    expect(await reconciler.runOnce()).toBe(0);

    await queues.queue(sendQueueName(f.channelId)).obliterate({ force: true });
    expect(await reconciler.runOnce()).toBe(2);
    await worker.channelAdded(f.channelId);
    for (const id of ids) await messageReaches(id, 'read');
    expect(await reconciler.runOnce()).toBe(0);
    for (const id of ids) expect(deliveriesOf(id)).toHaveLength(1);
  });
});

describe('when a channel is added in another process', () => {
  it('starts a send worker here too, through the announcement', async () => {
    const other = new SendWorker({
      orm: env.orm,
      queues,
      redis: env.redis,
      connectors: new ConnectorRegistry().register(sandbox, { deduplicatesSends: true }),
      logger,
      clock: systemClock,
    });
    await other.start();
    try {
      const f = await createFixture();
      const active = await until(
        () => other.activeChannels(),
        (ids) => ids.includes(f.channelId),
      );
      expect(active).toContain(f.channelId);
    } finally {
      await other.stop();
    }
  });
});

describe('when a connector that waits before the provider call (pacing) is interrupted', () => {
  /**
   * A paced connector (like WhatsApp's) that does not deduplicate resends, hosted by its own
   * send worker: the first attempt dies (a non-AppError, as a killed worker leaves it) either
   * while still waiting or after handing the message over.
   */
  async function pacedWorker(dieAt: 'waiting' | 'handed-over'): Promise<{ worker: SendWorker; sent: string[] }> {
    const sent: string[] = [];
    let died = false;
    const paced: ChannelConnector = {
      kind: 'sandbox',
      async send(m, handOver) {
        if (!died && dieAt === 'waiting') {
          died = true;
          throw new Error('worker killed while pacing');
        }
        await handOver?.handingOver();
        if (!died) {
          died = true;
          throw new Error('worker killed after the provider call began');
        }
        sent.push(m.messageId);
        return { providerMessageId: `paced:${m.messageId}` };
      },
    };
    const registry = new ConnectorRegistry().register(paced, { deduplicatesSends: false, hostedByLease: true, marksHandOver: true });
    const worker = new SendWorker({ orm: env.orm, queues, redis: env.redis, connectors: registry, logger, clock: systemClock });
    return { worker, sent };
  }

  it('sends the message on the next attempt when it died before handing it over', async () => {
    const { worker: paced, sent } = await pacedWorker('waiting');
    const f = await createFixture({ announce: false });
    await paced.hostChannel(f.channelId);
    try {
      const queued = await outbox.send(request(f));
      const done = await until(
        () => message(queued.messageId),
        (m) => m?.status === 'sent' || m?.status === 'failed',
      );
      expect(done.status).toBe('sent');
      expect(sent).toEqual([queued.messageId]);
    } finally {
      await paced.stop();
    }
  });

  it('fails the message as outcome unknown when it died after handing it over', async () => {
    const { worker: paced, sent } = await pacedWorker('handed-over');
    const f = await createFixture({ announce: false });
    await paced.hostChannel(f.channelId);
    try {
      const queued = await outbox.send(request(f));
      const done = await until(
        () => message(queued.messageId),
        (m) => m?.status === 'sent' || m?.status === 'failed',
      );
      expect(done.status).toBe('failed');
      expect(done.failure_reason).toMatch(/^send_outcome_unknown: an attempt started at .* was interrupted$/);
      expect(sent).toEqual([]);
    } finally {
      await paced.stop();
    }
  });
});
