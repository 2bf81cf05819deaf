import { Queue } from 'bullmq';
import { Cluster, type Redis as SingleRedis } from 'ioredis';
import type { Redis } from '../../platform/redis.ts';
import { eventually } from './eventually.ts';

export interface QueuesIdleOptions {
  /** 10 s by default. */
  timeoutMs?: number;
  /**
   * A delayed job counts as work still to come when it is due within this many ms (0 by default:
   * only the jobs whose time has come). `Infinity` waits for every delayed job to be gone, for a
   * test whose own jobs reschedule themselves a moment later (the sandbox receipts' rounds).
   */
  delayedDueWithinMs?: number;
}

/** The states of a job that will still run: waiting, prioritized, running, or its children's parent. */
const PENDING = ['waiting', 'prioritized', 'active', 'waiting-children'] as const;

/**
 * For a negative assertion ("the reconciler did not run the flow twice"): waits until no job of
 * the BullMQ queues under `prefix` (the product's Redis prefix, `env.config.redisPrefix`, or a
 * QueueFactory's `prefix`) is waiting, running, or delayed with its time come, twice in a row,
 * so that what a wrongly enqueued job would do is done before the test looks, instead of a guessed
 * sleep. The queues are found in Redis (every queue a job was ever added to has its `meta` key),
 * so a queue opened by the product after the call started counts too.
 */
export async function queuesIdle(redis: Redis, prefix: string, options: QueuesIdleOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, delayedDueWithinMs = 0 } = options;
  const queues = new Map<string, Queue>();
  let idleRounds = 0;
  let busy: string[] = [];
  try {
    await eventually(
      async () => {
        for (const name of await queueNames(redis, prefix))
          if (!queues.has(name)) queues.set(name, new Queue(name, { connection: redis, prefix }));
        busy = [];
        for (const queue of queues.values()) {
          const counts = await queue.getJobCounts(...PENDING);
          const due = Number.isFinite(delayedDueWithinMs)
            ? await queue.getDelayedCount(Date.now() + delayedDueWithinMs + 1)
            : await queue.getDelayedCount();
          const pending = Object.entries({ ...counts, delayed: due }).filter(([, n]) => n > 0);
          if (pending.length > 0) busy.push(`${queue.name}: ${pending.map(([state, n]) => `${n} ${state}`).join(', ')}`);
        }
        idleRounds = busy.length === 0 ? idleRounds + 1 : 0;
        return idleRounds >= 2 ? true : undefined;
      },
      { timeoutMs, what: `the queues under ${prefix} idle`, progress: () => busy.join('; ') },
    );
  } finally {
    // The connection is the caller's: closing these queues leaves it open.
    await Promise.all([...queues.values()].map((q) => q.close()));
  }
}

/** The names of the queues under `prefix` that ever had a job (BullMQ names hold no colon). */
async function queueNames(redis: Redis, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  const nodes: SingleRedis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*:meta`, 'COUNT', 1000);
      for (const key of keys) {
        const name = key.slice(prefix.length + 1, -':meta'.length);
        if (!name.includes(':')) names.add(name);
      }
      cursor = next;
    } while (cursor !== '0');
  }
  return [...names].sort();
}
