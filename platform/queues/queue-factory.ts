import { Queue, Worker, type Processor, type QueueOptions, type WorkerOptions } from 'bullmq';
import type { Redis } from '../redis.ts';

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

/*
 * Quick stall detection, for the queues whose jobs are due at a time (run timers) or hold a
 * conversation back (inbox drains, triggers, sandbox receipts). A job whose worker process died
 * (kill -9, OOM, a lost machine) stays `active` until its lock expires and a stalled check of a
 * live worker moves it back: with BullMQ's defaults (30 s lock, 30 s check) that was up to a
 * minute, and the 2 s delays of the chaos run were 27–42 s late at p50 (issue 21). Here the lock
 * lasts 2 s (renewed every second by the live worker) and every worker checks twice a second, so
 * a dead worker's job runs again within STALL_DETECTION_MS. (With a 3 s lock and a check each
 * second, a timer that was already active for a moment when its worker died came 5.8 s late in a
 * CI run: the 1 s the fault test leaves beyond the stall detection was too little under load.) A worker whose event loop stalls for
 * longer than the lock loses the job to another: these handlers are idempotent. A job may stall
 * many times (a worker killed again and again) without being failed for it.
 * Not for the per-channel send queues: there are many of them, and a check each second of each
 * one by every process would cost Redis more than a slow recovery of a send costs anyone.
 */
const QUICK_LOCK_MS = 2_000;
const QUICK_STALLED_CHECK_MS = 500;
/** The longest a dead worker's job waits before another worker runs it (ms): its lock, then one check. */
export const STALL_DETECTION_MS = QUICK_LOCK_MS + QUICK_STALLED_CHECK_MS;
export const QUICK_STALL_DETECTION: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> = {
  lockDuration: QUICK_LOCK_MS,
  stalledInterval: QUICK_STALLED_CHECK_MS,
  maxStalledCount: 1_000,
};
