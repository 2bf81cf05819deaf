import { Queue, Worker, type Processor, type QueueOptions, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Creates BullMQ queues and workers that share this process's Redis connection for commands
 * and key prefix. Workers get their own blocking connection (BullMQ duplicates it). Everything
 * made here is closed by `close()`, workers first so that in-flight jobs finish.
 */
export class QueueFactory {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
  ) {}

  /** The queue named `name`, created once per process. */
  queue<T = unknown>(name: string, opts: Omit<QueueOptions, 'connection' | 'prefix'> = {}): Queue<T> {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { ...opts, connection: this.connection, prefix: this.prefix });
      this.queues.set(name, q);
    }
    return q as Queue<T>;
  }

  /** A worker on `name`; it starts at once unless `autorun: false`. */
  worker<T = unknown>(name: string, processor: Processor<T>, opts: Omit<WorkerOptions, 'connection' | 'prefix'> = {}): Worker<T> {
    const w = new Worker<T>(name, processor, { ...opts, connection: this.connection, prefix: this.prefix });
    this.workers.push(w as Worker);
    return w;
  }

  /** Every queue this process has opened, for metrics and the dashboard. */
  openQueues(): Queue[] {
    return [...this.queues.values()];
  }

  /** Stops taking jobs, waits for in-flight ones (up to `timeoutMs`), then closes queues. */
  async close(timeoutMs = 8_000): Promise<void> {
    const closing = Promise.all(this.workers.map((w) => w.close()));
    const timedOut = new Promise<'timeout'>((resolve) => setTimeout(resolve, timeoutMs, 'timeout').unref());
    if ((await Promise.race([closing, timedOut])) === 'timeout') {
      // Jobs still running past the deadline are returned to the queue by force-closing; their
      // locks expire and another worker picks them up (handlers are idempotent).
      await Promise.all(this.workers.map((w) => w.close(/* force= */ true)));
    }
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
