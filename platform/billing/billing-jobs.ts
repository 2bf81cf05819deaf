import { UnrecoverableError, type Worker } from 'bullmq';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import { AppError } from '../../engine/errors/app-error.ts';
import { QUOTA_EXCEEDED_REASON } from '../../engine/billing/usage-thresholds.ts';
import { BroadcastCommands } from '../broadcasts/broadcast-commands.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { PeriodicPass } from '../runtime/periodic-pass.ts';
import type { Billing } from './billing.ts';
import type { BillingEventProcessor } from './billing-event.processor.ts';
import { BILLING_EVENTS_QUEUE, enqueueBillingEvent, type BillingEventJobData } from './billing-event-intake.ts';

/** Billing events handled at once by one process (each may call Stripe). */
const BILLING_EVENTS_IN_FLIGHT = 4;
/** An event still unprocessed this long after it arrived has lost its job (Redis was away): queued again. */
export const BILLING_EVENT_GRACE_MS = 30_000;

const WorkspaceIdRow = z.object({ workspaceId: z.string() });

/**
 * The worker role's part of billing: the `billing-events` queue (one job per Stripe event, with
 * retries), and a periodic pass that queues again the events whose job was lost and resumes the
 * broadcasts paused for `quota_exceeded` whose quota has returned (a new period, a bigger plan).
 */
export class BillingJobs {
  private worker: Worker<BillingEventJobData> | null = null;
  private readonly periodic: PeriodicPass;
  private readonly broadcasts: BroadcastCommands;

  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      clock: Clock;
      logger: Logger;
      billing: Billing;
      processor: BillingEventProcessor;
    },
  ) {
    this.periodic = new PeriodicPass(() => this.runOnce(), { logger: deps.logger, message: 'billing reconciler pass failed' });
    this.broadcasts = new BroadcastCommands({ queues: deps.queues, clock: deps.clock, logger: deps.logger });
  }

  start(intervalMs: number): void {
    this.worker = this.deps.queues.worker<BillingEventJobData>(
      BILLING_EVENTS_QUEUE,
      async (job) => {
        try {
          return await this.deps.processor.process(job.data.eventId);
        } catch (err) {
          // A bug in our own input is not fixed by retrying; Stripe or the database being away is.
          if (err instanceof AppError && err.disposition === 'never') throw new UnrecoverableError(err.message);
          throw err;
        }
      },
      { concurrency: BILLING_EVENTS_IN_FLIGHT },
    );
    this.worker.on('failed', (job, err) =>
      this.deps.logger.warn({ err, eventId: job?.data.eventId, attempts: job?.attemptsMade }, 'billing event failed; it is retried'),
    );
    this.periodic.start(intervalMs);
  }

  async stop(): Promise<void> {
    await this.periodic.stop();
    await this.worker?.close();
  }

  /** One pass: lost event jobs queued again, quota-paused broadcasts resumed. Answers how many of each. */
  async runOnce(): Promise<{ requeued: number; resumed: number }> {
    const em = this.deps.orm.em.fork();
    const before = new Date(this.deps.clock.now().getTime() - BILLING_EVENT_GRACE_MS);
    const lost = await runSql(
      em,
      `select id from billing_events where processed_at is null and received_at < :before order by received_at limit 500`,
      { before },
      { row: IdRow },
    );
    for (const { id } of lost.rows) await enqueueBillingEvent(this.deps.queues, id);
    const paused = await runSql(
      em,
      `select distinct workspace_id as "workspaceId" from broadcasts where state = 'paused' and state_reason like :reason`,
      { reason: `${QUOTA_EXCEEDED_REASON}%` },
      { row: WorkspaceIdRow },
    );
    let resumed = 0;
    for (const { workspaceId } of paused.rows) resumed += await this.resumeQuotaPaused(workspaceId);
    return { requeued: lost.rows.length, resumed };
  }

  /** Resumes the workspace's broadcasts paused for its quota, if the quota has returned; answers how many. */
  async resumeQuotaPaused(workspaceId: string): Promise<number> {
    const em = this.deps.orm.em.fork();
    try {
      await this.deps.billing.assertQuotaLeft(em, workspaceId);
    } catch {
      return 0;
    }
    const { rows } = await runSql(
      em,
      `select id from broadcasts where workspace_id = :workspaceId and state = 'paused' and state_reason like :reason`,
      { workspaceId, reason: `${QUOTA_EXCEEDED_REASON}%` },
      { row: IdRow },
    );
    for (const { id } of rows) {
      await this.broadcasts.resume(em, workspaceId, id);
      this.deps.logger.info({ broadcastId: id, workspaceId }, 'broadcast resumed: quota available again');
    }
    return rows.length;
  }
}
