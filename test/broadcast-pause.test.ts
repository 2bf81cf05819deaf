import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACED_BATCH_SECONDS } from '../engine/broadcasts/broadcast-pace.ts';
import { batchJobId, broadcastSendQueueName } from '../platform/broadcasts/broadcast-queues.ts';
import { testSql } from './support/test-sql.ts';
import type { Redis } from '../platform/redis.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { waitForBroadcastState } from './support/broadcast-state.ts';
import { eventually } from './support/eventually.ts';

/*
 * Paced broadcasts of 300 messages a minute: batches of 50, one every PACED_BATCH_SECONDS (10 s).
 * Batch n's job is added at the start, delayed until it is due; a job that runs once its
 * broadcast is paused or cancelled (or of an older generation) does nothing and answers 'stale'.
 * The tests observe those answers on the queue's event stream, so that "nothing was sent while
 * paused" is checked after the batches that would have sent came due, not after a guessed sleep.
 */

const PACE_PER_MINUTE = 300;
const BATCH_SIZE = 50;
const BATCH_INTERVAL_MS = PACED_BATCH_SECONDS * 1_000;
/** A batch job may run this much before its batch is due (DUE_TOLERANCE_MS of the batch processor). */
const DUE_TOLERANCE_MS = 50;
const SENT_STATUSES = ['sent', 'delivered', 'read'];

let api: TestApi;
let owner: ApiClient;
let workspaceId: string;
let channelId: string;
let eventsConnection: Redis;
let batchEvents: QueueEvents;
/** What each batch job answered when it completed, by job id (several answers: a job id reused after removal). */
const answers = new Map<string, unknown[]>();

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

/** Inserts `count` contacts tagged `tag` in one statement; phones start with `phonePrefix`. */
async function contacts(count: number, tag: string, phonePrefix: string): Promise<void> {
  await sql(
    `insert into contacts (id, workspace_id, phone, name, tags)
     select gen_random_uuid(), :workspaceId, :phonePrefix || lpad(n::text, 6, '0'), 'Contact ' || n, array[cast(:tag as text)] from generate_series(1, :count) n`,
    { workspaceId, phonePrefix, tag, count },
  );
}

async function startPaced(tag: string): Promise<string> {
  const created = await owner.post('/api/v1/broadcasts', {
    name: `Paced ${tag}`,
    channelId,
    audience: { kind: 'segment', rule: { in: [tag, { var: 'contact.tags' }] } },
    content: { kind: 'message', text: 'Hi {{contact.name}}' },
    schedule: { kind: 'now' },
    pacePerMinute: PACE_PER_MINUTE,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const scheduled = await owner.post(`/api/v1/broadcasts/${created.body.id}/schedule`, {});
  expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
  return created.body.id;
}

async function broadcast(id: string): Promise<any> {
  return (await owner.get(`/api/v1/broadcasts/${id}`)).body;
}

/** The broadcast's messages (every status), with the batch of their recipient. */
async function messagesOf(id: string): Promise<{ contactId: string; status: string; batch: number; createdAt: string }[]> {
  return sql(
    `select m.contact_id as "contactId", m.status, r.batch, m.created_at as "createdAt"
       from broadcast_recipients r join messages m on m.channel_id = :channelId and m.idempotency_key = 'broadcast:' || r.broadcast_id || ':' || r.id
      where r.broadcast_id = :id`,
    { id, channelId },
  );
}

async function sentCount(id: string): Promise<number> {
  return (await messagesOf(id)).filter((m) => SENT_STATUSES.includes(m.status)).length;
}

async function generationOf(id: string): Promise<number> {
  const [row] = await sql<{ generation: number }>(`select generation from broadcasts where id = :id`, { id });
  return row!.generation;
}

/** Waits until batch `batch` of generation `generation` has completed, and answers what it answered. */
async function batchAnswer(broadcastId: string, generation: number, batch: number, timeoutMs = BATCH_INTERVAL_MS * 3): Promise<unknown> {
  const jobId = batchJobId({ broadcastId, generation, batch });
  return eventually(async () => answers.get(jobId)?.[0], timeoutMs);
}

/** Recipients by (state, skip reason, messages recorded for them). */
async function recipientShapes(id: string): Promise<Record<string, number>> {
  const rows = await sql<{ shape: string }>(
    `select r.state || '/' || coalesce(r.skip_reason, '-') || '/' || count(m.id) as shape
       from broadcast_recipients r left join messages m on m.channel_id = :channelId and m.idempotency_key = 'broadcast:' || r.broadcast_id || ':' || r.id
      where r.broadcast_id = :id group by r.id`,
    { id, channelId },
  );
  const shapes: Record<string, number> = {};
  for (const row of rows) shapes[row.shape] = (shapes[row.shape] ?? 0) + 1;
  return shapes;
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'broadcast-pause@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Paced',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
  eventsConnection = api.env.redis.duplicate();
  batchEvents = new QueueEvents(broadcastSendQueueName(channelId), { connection: eventsConnection, prefix: api.env.config.redisPrefix });
  batchEvents.on('completed', ({ jobId, returnvalue }) => answers.set(jobId, [...(answers.get(jobId) ?? []), returnvalue]));
  await batchEvents.waitUntilReady();
});

afterAll(async () => {
  await batchEvents?.close();
  eventsConnection?.disconnect();
  await api?.close();
});

describe('when a paced broadcast is paused after its first batch', () => {
  const TOTAL = 120;
  let id: string;
  let pausedAt: number;
  let firstGeneration: number;

  beforeAll(async () => {
    await contacts(TOTAL, 'pause', '+1880');
    id = await startPaced('pause');
    await eventually(async () => ((await sentCount(id)) >= BATCH_SIZE ? true : undefined), BATCH_INTERVAL_MS);
    firstGeneration = await generationOf(id);
    pausedAt = Date.now();
    const paused = await owner.post(`/api/v1/broadcasts/${id}/pause`, {});
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body.state).toBe('paused');
  }, BATCH_INTERVAL_MS * 2);

  it(
    'sends nothing more while paused, though its two later batches came due and ran',
    async () => {
      // The premise: the pause came between batch 0 (sent) and batch 1 (due 10 s after the start).
      expect((await messagesOf(id)).length).toBe(BATCH_SIZE);
      expect(await batchAnswer(id, firstGeneration, 1)).toBe('stale');
      expect(await batchAnswer(id, firstGeneration, 2)).toBe('stale');
      // Batch 2 was due a whole batch interval after batch 1: the pause has held for longer than that.
      expect(Date.now() - pausedAt).toBeGreaterThan(BATCH_INTERVAL_MS);
      expect((await messagesOf(id)).length).toBe(BATCH_SIZE);
      const b = await broadcast(id);
      expect(b.state).toBe('paused');
      expect(b.stats.byStatus.pending).toBe(TOTAL - BATCH_SIZE);
    },
    BATCH_INTERVAL_MS * 4,
  );

  it(
    'sends the rest once resumed, at the pace from the resume, one message per recipient and none skipped',
    async () => {
      const resumedAt = Date.now();
      const resumed = await owner.post(`/api/v1/broadcasts/${id}/resume`, {});
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      expect(resumed.body.state).toBe('running');
      const finished = await waitForBroadcastState(owner, id, 'completed', BATCH_INTERVAL_MS * 3);

      expect(await recipientShapes(id)).toEqual({ 'queued/-/1': TOTAL });
      const messages = await messagesOf(id);
      expect(new Set(messages.map((m) => m.contactId)).size).toBe(TOTAL);
      // The new generation sends batch 1 at the resume and batch 2 one interval later.
      const batch2 = messages.filter((m) => m.batch === 2).map((m) => new Date(m.createdAt).getTime());
      expect(batch2).toHaveLength(TOTAL - 2 * BATCH_SIZE);
      expect(Math.min(...batch2) - resumedAt).toBeGreaterThanOrEqual(BATCH_INTERVAL_MS - DUE_TOLERANCE_MS);
      await eventually(async () => ((await sentCount(id)) === TOTAL ? true : undefined));
      expect(finished.stats).toMatchObject({ total: TOTAL, percentDone: 100 });
      expect(finished.stats.byStatus).toMatchObject({ pending: 0, failed: 0, skipped: 0 });
    },
    BATCH_INTERVAL_MS * 4,
  );
});

describe('when a paced broadcast is cancelled as soon as its second batch is recorded', () => {
  const TOTAL = 120;
  let id: string;
  let generation: number;
  let atCancel: { recorded: number; sent: number };

  beforeAll(async () => {
    await contacts(TOTAL, 'cancel', '+1881');
    id = await startPaced('cancel');
    generation = await generationOf(id);
    // Batch 1 is recorded in one transaction, 10 s after the start, then sent: cancel as soon as it is recorded,
    // while it may still be sending (the sandbox sends 50 in a few ms, so usually it has just finished).
    await eventually(async () => ((await messagesOf(id)).length > BATCH_SIZE ? true : undefined), BATCH_INTERVAL_MS * 2);
    const cancelled = await owner.post(`/api/v1/broadcasts/${id}/cancel`, {});
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    const messages = await messagesOf(id);
    atCancel = { recorded: messages.length, sent: messages.filter((m) => SENT_STATUSES.includes(m.status)).length };
  }, BATCH_INTERVAL_MS * 3);

  it(
    'still sends the whole batch that was being sent, and nothing after it even when the next batch comes due',
    async () => {
      expect(atCancel.recorded).toBe(2 * BATCH_SIZE);
      expect(await batchAnswer(id, generation, 1)).toMatchObject({ sent: BATCH_SIZE, failed: 0 });
      expect(await batchAnswer(id, generation, 2)).toBe('stale');
      const messages = await messagesOf(id);
      expect(messages).toHaveLength(2 * BATCH_SIZE);
      expect(messages.filter((m) => SENT_STATUSES.includes(m.status))).toHaveLength(2 * BATCH_SIZE);
      expect(new Set(messages.map((m) => m.batch))).toEqual(new Set([0, 1]));
      console.info(`[broadcast cancel] at the cancel, ${atCancel.recorded} messages were recorded and ${atCancel.sent} of them sent`);
    },
    BATCH_INTERVAL_MS * 3,
  );

  it('skips every recipient of the later batches as cancelled, and the counts add up', async () => {
    expect(await recipientShapes(id)).toEqual({ 'queued/-/1': 2 * BATCH_SIZE, 'skipped/cancelled/0': TOTAL - 2 * BATCH_SIZE });
    const b = await broadcast(id);
    expect(b.state).toBe('cancelled');
    expect(b.stats.total).toBe(TOTAL);
    expect(b.stats.byStatus.pending).toBe(0);
    expect(b.stats.byStatus.failed).toBe(0);
    expect(b.stats.byStatus.skipped).toBe(TOTAL - 2 * BATCH_SIZE);
    expect(b.stats.skippedByReason.cancelled).toBe(TOTAL - 2 * BATCH_SIZE);
    expect(b.stats.byStatus.sent + b.stats.byStatus.delivered + b.stats.byStatus.read).toBe(2 * BATCH_SIZE);
    expect(b.stats.percentDone).toBe(100);
  });
});

describe('when contacts change while a paced broadcast runs', () => {
  const TOTAL = 60;
  let id: string;
  let latecomerId: string;
  let stopper: { contactId: string; recipientId: string };
  let finished: any;

  beforeAll(async () => {
    await contacts(TOTAL, 'change', '+1882');
    id = await startPaced('change');
    await waitForBroadcastState(owner, id, 'running');
    const [latecomer] = await sql<{ id: string }>(
      `insert into contacts (id, workspace_id, phone, name, tags) values (gen_random_uuid(), :workspaceId, '+18839999999', 'Late', array['change']) returning id`,
      { workspaceId },
    );
    latecomerId = latecomer!.id;

    // A recipient of batch 1, which is due 10 s after the start, replies STOP before it.
    const [recipient] = await sql<{ recipientId: string; contactId: string; phone: string }>(
      `select r.id as "recipientId", r.contact_id as "contactId", c.phone from broadcast_recipients r join contacts c on c.id = r.contact_id
        where r.broadcast_id = :id and r.batch = 1 order by c.phone limit 1`,
      { id },
    );
    stopper = { contactId: recipient!.contactId, recipientId: recipient!.recipientId };
    const stop = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: recipient!.phone, text: 'STOP' });
    expect(stop.status).toBe(202);
    await eventually(async () => {
      const [c] = await sql<{ optedOut: boolean }>(`select opted_out_at is not null as "optedOut" from contacts where id = :id`, {
        id: stopper.contactId,
      });
      return c!.optedOut ? true : undefined;
    });
    // The premise: the opt-out is recorded while the recipient still waits for its batch.
    const [row] = await sql<{ state: string }>(`select state from broadcast_recipients where id = :id`, { id: stopper.recipientId });
    expect(row!.state).toBe('pending');
    expect((await broadcast(id)).state).toBe('running');
    finished = await waitForBroadcastState(owner, id, 'completed', BATCH_INTERVAL_MS * 3);
  }, BATCH_INTERVAL_MS * 4);

  it('does not send to a contact created after it started, nor count them', async () => {
    expect(
      await sql(`select id from broadcast_recipients where broadcast_id = :id and contact_id = :latecomerId`, { id, latecomerId }),
    ).toEqual([]);
    expect((await messagesOf(id)).filter((m) => m.contactId === latecomerId)).toEqual([]);
    expect(finished.stats.total).toBe(TOTAL);
  });

  it('skips a recipient who opted out before their batch, as opted_out, and sends them nothing', async () => {
    const [row] = await sql<{ state: string; skipReason: string }>(
      `select state, skip_reason as "skipReason" from broadcast_recipients where id = :id`,
      { id: stopper.recipientId },
    );
    expect(row).toEqual({ state: 'skipped', skipReason: 'opted_out' });
    expect(
      await sql(`select id from messages where contact_id = :contactId and sender = 'broadcast'`, { contactId: stopper.contactId }),
    ).toEqual([]);
    expect(await recipientShapes(id)).toEqual({ 'queued/-/1': TOTAL - 1, 'skipped/opted_out/0': 1 });
    expect(finished.stats.byStatus).toMatchObject({ pending: 0, failed: 0, skipped: 1 });
    expect(finished.stats.skippedByReason.opted_out).toBe(1);
    // Opted out before the broadcast reached them: not a STOP caused by it.
    expect(finished.stats.optedOutAfter).toBe(0);
  });
});
