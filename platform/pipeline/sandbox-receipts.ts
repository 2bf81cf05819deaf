import type { Job } from 'bullmq';
import type { SandboxReceiptScheduler } from '../../connectors/sandbox/sandbox.connector.ts';
import type { ProviderStatusUpdate } from '../../engine/ports/channel-connector.port.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../logger.ts';
import { QUICK_STALL_DETECTION, type QueueFactory } from '../queues/queue-factory.ts';

/** Delayed jobs that report sandbox messages delivered, then read. */
export const SANDBOX_RECEIPTS_QUEUE = 'sandbox-receipts';

export const DEFAULT_DELIVERED_AFTER_MS = 300;
export const DEFAULT_READ_AFTER_MS = 1_000;
/*
 * The send worker records the provider id just after `send` returns, so a delivery report can
 * run before there is anything to update: the receipts not applied are reported again, this many
 * rounds at most, `deliveredAfterMs` apart.
 */
const DELIVERED_ROUNDS = 10;
/** Receipts carried by one job at most (the sends of a busy tick are split). */
const MAX_RECEIPTS_PER_JOB = 500;
/** Attempts of one job when applying throws (the database is down), `deliveredAfterMs` apart. */
const JOB_ATTEMPTS = 5;

export interface Receipt {
  channelId: string;
  providerMessageId: string;
}

interface ReceiptJobData {
  status: 'delivered' | 'read';
  receipts: Receipt[];
  /** Which round of delivery reports this is (1 for the first). */
  round: number;
}

/** Where the receipts are applied: the StatusUpdater. */
export interface StatusSink {
  apply(update: ProviderStatusUpdate): Promise<boolean>;
}

/**
 * The sandbox's receipts as BullMQ delayed jobs, so that they survive the connector process that
 * sent the messages (issue 21: with in-process timers, 104 messages stayed `sent` after connector
 * kills). One job carries the receipts of every send of one tick (`sent` resolves once that job
 * is in Redis, before the send is recorded): a job per message cost a quarter of the engine
 * benchmark's CPU. Any connector process runs them (`startWorker`). A delivery job schedules
 * its read job, and a next round for the receipts that found no sent message yet, under ids
 * derived from its own: a retry of a job whose process died schedules nothing twice, and a
 * receipt applied twice (a resend after a crash) is a repeat the status path ignores.
 */
export class SandboxReceipts implements SandboxReceiptScheduler {
  private pending: { receipt: Receipt; done: { resolve(): void; reject(err: unknown): void } }[] = [];
  private readonly deliveredAfterMs: number;
  private readonly readAfterMs: number;

  constructor(
    private readonly deps: {
      queues: QueueFactory;
      statuses: StatusSink;
      clock: Clock;
      logger: Logger;
      deliveredAfterMs?: number;
      readAfterMs?: number;
    },
  ) {
    this.deliveredAfterMs = deps.deliveredAfterMs ?? DEFAULT_DELIVERED_AFTER_MS;
    this.readAfterMs = deps.readAfterMs ?? DEFAULT_READ_AFTER_MS;
  }

  sent(receipt: Receipt): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ receipt, done: { resolve, reject } });
    });
  }

  /** Runs the receipts of every sandbox channel in this process. */
  startWorker(concurrency = 8): void {
    const worker = this.deps.queues.worker<ReceiptJobData>(SANDBOX_RECEIPTS_QUEUE, (job: Job<ReceiptJobData>) => this.report(job), {
      concurrency,
      ...QUICK_STALL_DETECTION,
    });
    worker.on('failed', (job, err) => {
      if (job && job.attemptsMade >= JOB_ATTEMPTS)
        this.deps.logger.warn({ err, receipts: job.data.receipts.length, status: job.data.status }, 'sandbox receipts failed');
    });
  }

  private async report(job: Job<ReceiptJobData>): Promise<void> {
    const { status, receipts, round } = job.data;
    const at = this.deps.clock.now();
    // Applied together: the status path writes the updates that arrive at once in one statement.
    const applied = await Promise.all(receipts.map((r) => this.deps.statuses.apply({ ...r, status, at })));
    if (status !== 'delivered') return;
    // Read for every receipt, even one not applied: a repeat (its process died after applying
    // it) must still lead to the read, and read implies delivered for one recorded late.
    const next: { name: string; data: ReceiptJobData; opts: { jobId: string; delay: number } }[] = [
      { name: 'read', data: { status: 'read', receipts, round: 1 }, opts: { jobId: `${job.id}-read`, delay: this.readAfterMs } },
    ];
    const notYet = receipts.filter((_, i) => !applied[i]);
    if (notYet.length > 0 && round < DELIVERED_ROUNDS) {
      next.push({
        name: 'delivered',
        data: { status: 'delivered', receipts: notYet, round: round + 1 },
        opts: { jobId: `${job.id}-again`, delay: this.deliveredAfterMs },
      });
    }
    await this.add(next);
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const jobs = [];
      for (let i = 0; i < batch.length; i += MAX_RECEIPTS_PER_JOB) {
        const receipts = batch.slice(i, i + MAX_RECEIPTS_PER_JOB).map((p) => p.receipt);
        jobs.push({
          name: 'delivered',
          data: { status: 'delivered' as const, receipts, round: 1 },
          opts: { delay: this.deliveredAfterMs },
        });
      }
      await this.add(jobs);
      for (const p of batch) p.done.resolve();
    } catch (err) {
      for (const p of batch) p.done.reject(err);
    }
  }

  private async add(jobs: { name: string; data: ReceiptJobData; opts: { jobId?: string; delay: number } }[]): Promise<void> {
    await this.deps.queues.queue<ReceiptJobData>(SANDBOX_RECEIPTS_QUEUE).addBulk(
      jobs.map((j) => ({
        ...j,
        // Done or given up, a job is dropped: it names people's messages.
        opts: {
          ...j.opts,
          removeOnComplete: true,
          removeOnFail: true,
          attempts: JOB_ATTEMPTS,
          backoff: { type: 'fixed', delay: this.deliveredAfterMs },
        },
      })),
    );
  }
}

/**
 * Takes erased messages out of the receipts waiting in Redis (a job left with none is removed).
 * A job running at that moment cannot be changed: it finds the messages gone, applies nothing,
 * and its next round (seconds later, at most DELIVERED_ROUNDS) is dropped when done.
 */
export async function forgetSandboxReceipts(queues: QueueFactory, providerMessageIds: string[]): Promise<void> {
  if (providerMessageIds.length === 0) return;
  const gone = new Set(providerMessageIds);
  const jobs = await queues.queue<ReceiptJobData>(SANDBOX_RECEIPTS_QUEUE).getJobs(['delayed', 'waiting', 'prioritized', 'failed']);
  for (const job of jobs) {
    const receipts = job?.data?.receipts;
    if (!receipts) continue;
    const kept = receipts.filter((r) => !gone.has(r.providerMessageId));
    if (kept.length === receipts.length) continue;
    await (kept.length === 0 ? job.remove() : job.updateData({ ...job.data, receipts: kept })).catch(() => undefined);
  }
}
