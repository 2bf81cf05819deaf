import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { createRedis } from '../../platform/redis.ts';

export interface BaselineResult {
  jobs: number;
  jobsPerS: number;
  wallMs: number;
}

/**
 * Plain BullMQ on the same Redis: `producers` loops each `add` one empty job at a time (as the
 * product adds one job per message), a worker with `concurrency` processes them with a no-op.
 * Throughput = jobs / (first add → last completion). A ceiling for any design that puts one
 * BullMQ job per message on this machine.
 */
export async function bullmqBaseline(opts: {
  redisUrl: string;
  prefix: string;
  jobs: number;
  producers: number;
  concurrency: number;
}): Promise<BaselineResult> {
  const queueConnection = createRedis(opts.redisUrl);
  const workerConnection = createRedis(opts.redisUrl);
  const name = 'bench-baseline';
  const queue = new Queue(name, { connection: queueConnection, prefix: opts.prefix });
  const worker = new Worker(name, async () => undefined, {
    connection: workerConnection,
    prefix: opts.prefix,
    concurrency: opts.concurrency,
  });
  try {
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    let completed = 0;
    const done = new Promise<void>((resolve) => {
      worker.on('completed', () => {
        completed += 1;
        if (completed === opts.jobs) resolve();
      });
    });
    const started = performance.now();
    let next = 0;
    const produce = async () => {
      while (next < opts.jobs) {
        next += 1;
        await queue.add('empty', {}, { removeOnComplete: true, removeOnFail: true });
      }
    };
    await Promise.all(Array.from({ length: opts.producers }, produce));
    await done;
    const wallMs = performance.now() - started;
    return { jobs: opts.jobs, jobsPerS: Math.round((opts.jobs / wallMs) * 1000), wallMs: Math.round(wallMs) };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    queueConnection.disconnect();
    workerConnection.disconnect();
  }
}
