import type { Job } from 'bullmq';
import type { SandboxReceiptScheduler } from '../../connectors/sandbox/sandbox.connector.ts';
import type { ProviderStatusUpdate } from '../../engine/ports/channel-connector.port.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Logger } from '../logger.ts';
import { QUICK_STALL_DETECTION, type QueueFactory } from '../queues/queue-factory.ts';

/** Delayed jobs that report a sandbox message delivered, then read. */
export const SANDBOX_RECEIPTS_QUEUE = 'sandbox-receipts';

/** The job id of one simulated receipt of a sandbox message (erasure removes them by it). */
export function receiptJobId(status: 'delivered' | 'read', providerMessageId: string): string {
  return `${status}-${providerMessageId.replaceAll(':', '-')}`;
}

export const DEFAULT_DELIVERED_AFTER_MS = 300;
export const DEFAULT_READ_AFTER_MS = 1_000;
/*
 * The send worker records the provider id just after `send` returns, so the first delivery report
 * can run before there is anything to update: it is retried this many times, `deliveredAfterMs` apart.
 */
const DELIVERED_ATTEMPTS = 10;

interface ReceiptJobData {
  channelId: string;
  providerMessageId: string;
  status: 'delivered' | 'read';
}

/** Where the receipts are applied: the StatusUpdater. */
export interface StatusSink {
  apply(update: ProviderStatusUpdate): Promise<boolean>;
}

class NotYetSent extends Error {}

/**
 * The sandbox's receipts as BullMQ delayed jobs, so that they survive the connector process that
 * sent the message (issue 21: with in-process timers, 104 messages stayed `sent` after connector
 * kills). Job ids are derived from the provider id and the status, so a resend after a crash
 * schedules nothing twice. Any connector process runs them (`startWorker`); `sent` resolves once
 * the job is in Redis, before the send is recorded. Receipts are batched: the sends of one tick
 * share one `addBulk`.
 */
export class SandboxReceipts implements SandboxReceiptScheduler {
  private pending: { job: ReceiptJobData; delay: number; done: { resolve(): void; reject(err: unknown): void } }[] = [];
  private readonly deliveredAfterMs: number;
  private readonly readAfterMs: number;

  constructor(private readonly deps: { queues: QueueFactory; statuses: StatusSink; clock: Clock; logger: Logger; deliveredAfterMs?: number; readAfterMs?: number }) {
    this.deliveredAfterMs = deps.deliveredAfterMs ?? DEFAULT_DELIVERED_AFTER_MS;
    this.readAfterMs = deps.readAfterMs ?? DEFAULT_READ_AFTER_MS;
  }

  sent(receipt: { channelId: string; providerMessageId: string }): Promise<void> {
    return this.schedule({ ...receipt, status: 'delivered' }, this.deliveredAfterMs);
  }

  /** Runs the receipts of every sandbox channel in this process. */
  startWorker(concurrency = 32): void {
    const worker = this.deps.queues.worker<ReceiptJobData>(SANDBOX_RECEIPTS_QUEUE, (job: Job<ReceiptJobData>) => this.report(job.data), { concurrency, ...QUICK_STALL_DETECTION });
    worker.on('failed', (job, err) => {
      if (!(err instanceof NotYetSent) || job?.attemptsMade === DELIVERED_ATTEMPTS) this.deps.logger.warn({ err, receipt: job?.data }, 'sandbox receipt failed');
    });
  }

  private async report(receipt: ReceiptJobData): Promise<void> {
    const applied = await this.deps.statuses.apply({ channelId: receipt.channelId, providerMessageId: receipt.providerMessageId, status: receipt.status, at: this.deps.clock.now() });
    if (receipt.status !== 'delivered') return;
    // The read receipt is scheduled even when this one did not apply: a retry of a job whose
    // process died after applying it finds it already applied (a repeat), and must still lead to
    // the read. Its id is stable, so scheduling it twice keeps one.
    await this.schedule({ ...receipt, status: 'read' }, this.readAfterMs);
    // Not applied: the send is not recorded yet (or the message is gone, or this is a repeat); the job retries.
    if (!applied) throw new NotYetSent(`message ${receipt.providerMessageId} is not recorded as sent yet`);
  }

  private schedule(job: ReceiptJobData, delay: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ job, delay, done: { resolve, reject } });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      await this.deps.queues.queue<ReceiptJobData>(SANDBOX_RECEIPTS_QUEUE).addBulk(
        batch.map(({ job, delay }) => ({
          name: job.status,
          data: job,
          opts: {
            jobId: receiptJobId(job.status, job.providerMessageId),
            delay,
            removeOnComplete: true,
            // A receipt that never applied (its message was erased, or never recorded as sent) is dropped: it names a person's message.
            removeOnFail: true,
            ...(job.status === 'delivered' ? { attempts: DELIVERED_ATTEMPTS, backoff: { type: 'fixed', delay: this.deliveredAfterMs } } : { attempts: 3, backoff: { type: 'fixed', delay: this.readAfterMs } }),
          },
        })),
      );
      for (const p of batch) p.done.resolve();
    } catch (err) {
      for (const p of batch) p.done.reject(err);
    }
  }
}
