import { DelayedError, type Job, type Worker } from 'bullmq';
import type { Clock } from '../../engine/clock.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { PeriodicPass } from '../runtime/periodic-pass.ts';
import type { WebhookDeliverer } from './webhook-deliverer.ts';
import { deliveryJobOptions, WEBHOOK_QUEUE, type WebhookJobData } from './webhook-queue.ts';

/** Deliveries attempted at once per worker process (each may wait up to 10 s for its receiver). */
export const WEBHOOK_CONCURRENCY = 16;
/** A pending delivery due this long ago with no live job is enqueued again. */
const ORPHAN_AFTER_MS = 60_000;
const RECONCILE_BATCH_ROWS = 500;
/** Events (with their deliveries and attempts) are kept this long, then deleted: they copy message texts. */
export const WEBHOOK_LOG_KEEP_DAYS = 7;
const HOUSEKEEPING_BATCH_ROWS = 5_000;
const ALIVE: ReadonlySet<string> = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * The worker side of event webhooks: the delivery worker (retries are the job moved to delayed
 * until the next attempt, so a retry is a BullMQ delayed job, not a poll), and a periodic pass
 * that re-enqueues pending deliveries whose job was lost (Redis lost it, a process died between
 * commit and enqueue) and deletes logs older than WEBHOOK_LOG_KEEP_DAYS.
 */
export class WebhookJobs {
  private readonly periodic: PeriodicPass;
  private worker: Worker<WebhookJobData> | null = null;

  constructor(private readonly deps: { orm: Orm; queues: QueueFactory; deliverer: WebhookDeliverer; clock: Clock; logger: Logger }) {
    this.periodic = new PeriodicPass(() => this.reconcile(), { logger: deps.logger, message: 'webhook reconciler pass failed' });
  }

  start(reconcileIntervalMs: number, concurrency = WEBHOOK_CONCURRENCY): void {
    const worker = this.deps.queues.worker<WebhookJobData>(WEBHOOK_QUEUE, (job, token) => this.process(job, token), { concurrency });
    this.worker = worker;
    worker.on('failed', (job, err) => this.deps.logger.warn({ err, deliveryId: job?.data.deliveryId }, 'webhook delivery job failed'));
    this.periodic.start(reconcileIntervalMs);
  }

  /** Stops the reconciler and the worker (attempts in flight finish). */
  async stop(): Promise<void> {
    await Promise.all([this.periodic.stop(), this.worker?.close()]);
  }

  private async process(job: Job<WebhookJobData>, token: string | undefined): Promise<void> {
    const outcome = await this.deps.deliverer.attempt(job.data.deliveryId, { manual: job.data.manual ?? false });
    if (outcome.kind !== 'retry' || job.data.manual) return;
    // The same job waits for the next attempt: its id stays the delivery's while it is pending.
    const waitMs = Math.max(outcome.retryAt.getTime() - this.deps.clock.now().getTime(), 0);
    await job.moveToDelayed(Date.now() + waitMs, token);
    throw new DelayedError();
  }

  /** Asks for one redelivery now (a person's request). */
  async redeliver(deliveryId: string): Promise<void> {
    await redeliver(this.deps.queues, deliveryId);
  }

  /** One pass: orphaned pending deliveries enqueued again, old logs deleted. Answers how many were enqueued. */
  async reconcile(): Promise<number> {
    const em = this.deps.orm.em.fork();
    const now = this.deps.clock.now();
    const { rows } = await runSql(
      em,
      `select id from webhook_deliveries where status = 'pending' and next_attempt_at < cast(:before as timestamptz) order by next_attempt_at limit cast(:limitRows as integer)`,
      { before: new Date(now.getTime() - ORPHAN_AFTER_MS), limitRows: RECONCILE_BATCH_ROWS },
      { row: IdRow },
    );
    const queue = this.deps.queues.queue<WebhookJobData>(WEBHOOK_QUEUE);
    let enqueued = 0;
    for (const { id } of rows) {
      const state = await queue.getJobState(id);
      if (ALIVE.has(state)) continue;
      if (state !== 'unknown') await queue.remove(id);
      await queue.add('deliver', { deliveryId: id }, deliveryJobOptions(id));
      enqueued++;
    }
    if (enqueued > 0) this.deps.logger.warn({ count: enqueued }, 'webhook reconciler enqueued lost deliveries again');
    await runSql(
      em,
      `delete from webhook_events where id in (select id from webhook_events where created_at < cast(:before as timestamptz) limit cast(:limitRows as integer))`,
      { before: new Date(now.getTime() - WEBHOOK_LOG_KEEP_DAYS * 86_400_000), limitRows: HOUSEKEEPING_BATCH_ROWS },
    );
    return enqueued;
  }
}

/** Enqueues one manual attempt of a delivery (any process may: the worker role runs it). */
export async function redeliver(queues: QueueFactory, deliveryId: string): Promise<void> {
  await queues
    .queue<WebhookJobData>(WEBHOOK_QUEUE)
    .add(
      'redeliver',
      { deliveryId, manual: true },
      { removeOnComplete: true, removeOnFail: 1_000, attempts: 3, backoff: { type: 'exponential', delay: 1_000 } },
    );
}
