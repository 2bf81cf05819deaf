import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { systemClock } from '../engine/clock.ts';
import type { ProviderStatusUpdate } from '../engine/ports/channel-connector.port.ts';
import {
  forgetSandboxReceipts,
  SANDBOX_RECEIPTS_QUEUE,
  SandboxReceipts,
  type Receipt,
  type StatusSink,
} from '../platform/pipeline/sandbox-receipts.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { createRedis, deleteKeysMatching, type Redis } from '../platform/redis.ts';
import { eventually } from './support/eventually.ts';
import { queuesIdle } from './support/queues-idle.ts';
import { TEST_REDIS_URL } from './support/test-env.ts';

/** A status path that records what it was told; a message is "recorded as sent" once listed in `known`. */
class RecordingSink implements StatusSink {
  readonly seen: ProviderStatusUpdate[] = [];
  readonly known = new Set<string>();
  private readonly applied = new Set<string>();
  apply(update: ProviderStatusUpdate): Promise<boolean> {
    this.seen.push(update);
    const key = `${update.status}/${update.providerMessageId}`;
    if (!this.known.has(update.providerMessageId) || this.applied.has(key)) return Promise.resolve(false);
    this.applied.add(key);
    return Promise.resolve(true);
  }
  count(status: string, id: string): number {
    return this.seen.filter((u) => u.status === status && u.providerMessageId === id).length;
  }
}

const prefix = `omtest:receipts-${randomBytes(4).toString('hex')}`;
const logger = pino({ level: 'silent' });
let redis: Redis;
const factories: QueueFactory[] = [];

/** Each test its own queue (a key prefix of its own): a worker left by one test never runs another's jobs. */
function receiptsWith(
  sink: StatusSink,
  opts: { deliveredAfterMs: number; readAfterMs: number; worker: boolean; queuePrefix: string },
): { receipts: SandboxReceipts; queues: QueueFactory } {
  const queues = new QueueFactory(redis, `${prefix}:${opts.queuePrefix}`);
  factories.push(queues);
  const receipts = new SandboxReceipts({
    queues,
    statuses: sink,
    clock: systemClock,
    logger,
    deliveredAfterMs: opts.deliveredAfterMs,
    readAfterMs: opts.readAfterMs,
  });
  if (opts.worker) receipts.startWorker();
  return { receipts, queues };
}

beforeAll(() => {
  redis = createRedis(TEST_REDIS_URL);
});

afterAll(async () => {
  for (const f of factories) await f.close();
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis.disconnect();
});

describe('sandbox receipts', () => {
  it('carries the sends of one tick in one job, and reports each delivered then read', async () => {
    const sink = new RecordingSink();
    const idle = receiptsWith(sink, { deliveredAfterMs: 60_000, readAfterMs: 10, worker: false, queuePrefix: 'tick' });
    const ids = Array.from({ length: 50 }, (_, i) => `sandbox:tick-${i}`);
    await Promise.all(ids.map((providerMessageId) => idle.receipts.sent({ channelId: 'c1', providerMessageId })));
    const queue = idle.queues.queue<{ receipts: Receipt[] }>(SANDBOX_RECEIPTS_QUEUE);
    const waiting = (await queue.getJobs(['delayed'])).filter((j) =>
      j.data.receipts.some((r) => r.providerMessageId.startsWith('sandbox:tick-')),
    );
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.data.receipts).toHaveLength(50);
    await waiting[0]!.remove();

    const live = receiptsWith(sink, { deliveredAfterMs: 20, readAfterMs: 20, worker: true, queuePrefix: 'tick' });
    for (const id of ids) sink.known.add(id);
    await Promise.all(ids.map((providerMessageId) => live.receipts.sent({ channelId: 'c1', providerMessageId })));
    await eventually(async () => (ids.every((id) => sink.count('read', id) === 1) ? true : undefined));
    for (const id of ids) {
      expect(sink.count('delivered', id)).toBe(1);
      const order = sink.seen.filter((u) => u.providerMessageId === id).map((u) => u.status);
      expect(order).toEqual(['delivered', 'read']);
    }
  });

  it('reports a receipt again while its send is not recorded, and stops once it applied', async () => {
    const sink = new RecordingSink();
    const { receipts, queues } = receiptsWith(sink, { deliveredAfterMs: 30, readAfterMs: 400, worker: true, queuePrefix: 'late' });
    await Promise.all([
      receipts.sent({ channelId: 'c1', providerMessageId: 'sandbox:late' }),
      receipts.sent({ channelId: 'c1', providerMessageId: 'sandbox:early' }),
    ]);
    sink.known.add('sandbox:early');
    await eventually(async () => (sink.count('delivered', 'sandbox:late') >= 3 ? true : undefined));
    sink.known.add('sandbox:late');
    await eventually(async () => (sink.count('read', 'sandbox:late') >= 1 && sink.count('read', 'sandbox:early') >= 1 ? true : undefined));
    const deliveredLate = sink.count('delivered', 'sandbox:late');
    // Until no job is left, the delayed ones included: a round wrongly scheduled after it applied would have run.
    await queuesIdle(redis, queues.prefix, { delayedDueWithinMs: Infinity });
    // Applied once, it is not reported delivered again; the one recorded at once was reported once.
    expect(sink.count('delivered', 'sandbox:late')).toBe(deliveredLate);
    expect(sink.count('delivered', 'sandbox:early')).toBe(1);
  });

  it('forgets erased messages: their receipts leave the waiting jobs, and a job left empty is removed', async () => {
    const sink = new RecordingSink();
    const { receipts, queues } = receiptsWith(sink, { deliveredAfterMs: 60_000, readAfterMs: 60_000, worker: false, queuePrefix: 'erase' });
    await Promise.all(
      ['sandbox:erase-a', 'sandbox:keep-b'].map((providerMessageId) => receipts.sent({ channelId: 'c2', providerMessageId })),
    );
    await receipts.sent({ channelId: 'c2', providerMessageId: 'sandbox:erase-c' });
    await forgetSandboxReceipts(queues, ['sandbox:erase-a', 'sandbox:erase-c']);
    const jobs = (await queues.queue<{ receipts: Receipt[] }>(SANDBOX_RECEIPTS_QUEUE).getJobs(['delayed'])).filter((j) =>
      j.data.receipts.some((r) => r.channelId === 'c2'),
    );
    expect(jobs.map((j) => j.data.receipts.map((r) => r.providerMessageId))).toEqual([['sandbox:keep-b']]);
    const raw = (await redis.keys(`${prefix}:erase:${SANDBOX_RECEIPTS_QUEUE}:*`)).filter((k) => !k.endsWith(':meta') && !k.endsWith(':id'));
    for (const key of raw) {
      const type = await redis.type(key);
      const text =
        type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'zset' ? JSON.stringify(await redis.zrange(key, 0, -1)) : '';
      expect(text).not.toContain('erase-');
    }
  });
});
