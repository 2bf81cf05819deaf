import type { Clock } from '../../engine/clock.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import type { Outbox } from './outbox.ts';
import { z } from 'zod';
import { runSql } from './run-sql.ts';
import { BatchJobRef, sendQueueName } from './send-job.ts';
import { PeriodicPass } from '../runtime/periodic-pass.ts';

/** A queued message younger than this is left alone: its dispatch may simply not have run yet. */
export const DEFAULT_RECONCILE_AFTER_MS = 30_000;
const BATCH_ALIVE: ReadonlySet<string> = new Set(['active', 'waiting', 'delayed', 'prioritized']);
/** Messages looked at per run; bounded so that a backlog never turns into one long scan. */
export const DEFAULT_RECONCILE_BATCH_ROWS = 500;

// Served by the partial index messages_queued (created_at) where queued (status = 'queued', computed).
const STALE_QUEUED_SQL = `
select id as "messageId", channel_id as "channelId", metadata -> 'batchJob' as "batchJob"
  from messages
 where queued and created_at < cast(:before as timestamptz)
 order by created_at
 limit cast(:limitRows as integer)`;
/** Its row: `batchJob` is null for a message recorded without a batch send job. */
const StaleQueuedRow = z.object({ messageId: z.string(), channelId: z.string(), batchJob: BatchJobRef.nullable() });

/**
 * Re-dispatches outbound messages that are still `queued` after a while but whose send job is
 * gone from Redis (Redis lost data, or the process died between commit and dispatch), or whose
 * job ended without moving the message on. A job still waiting, delayed or active is left alone.
 * Running it in several processes at once is harmless: the job id is the message id.
 */
export class OutboxReconciler {
  private readonly periodic: PeriodicPass;
  private readonly afterMs: number;
  private readonly batchRows: number;

  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      outbox: Outbox;
      logger: Logger;
      clock: Clock;
      afterMs?: number;
      batchRows?: number;
    },
  ) {
    this.periodic = new PeriodicPass(() => this.runOnce(), { logger: deps.logger, message: 'outbox reconciler pass failed' });
    this.afterMs = deps.afterMs ?? DEFAULT_RECONCILE_AFTER_MS;
    this.batchRows = deps.batchRows ?? DEFAULT_RECONCILE_BATCH_ROWS;
  }

  /** One pass: returns how many messages were dispatched again. */
  async runOnce(): Promise<number> {
    const before = new Date(this.deps.clock.now().getTime() - this.afterMs);
    const { rows } = await runSql(
      this.deps.orm.em.fork(),
      STALE_QUEUED_SQL,
      { before, limitRows: this.batchRows },
      { row: StaleQueuedRow },
    );
    const lost: { messageId: string; channelId: string }[] = [];
    for (const row of rows) {
      // A broadcast batch recorded it and sends it itself: while that job lives, it is not lost.
      if (row.batchJob && BATCH_ALIVE.has(await this.deps.queues.queue(row.batchJob.queue).getJobState(row.batchJob.id))) continue;
      const queue = this.deps.queues.queue(sendQueueName(row.channelId));
      const state = await queue.getJobState(row.messageId);
      if (state === 'unknown') {
        lost.push(row);
      } else if (state === 'completed' || state === 'failed') {
        // The job ended but the message is still queued (a worker stalled past its limit): run it again;
        // the processor's in-flight check decides whether resending is safe.
        await queue.remove(row.messageId);
        lost.push(row);
      }
    }
    if (lost.length > 0) {
      await this.deps.outbox.dispatch(lost);
      this.deps.logger.warn(
        { count: lost.length, messageIds: lost.map((l) => l.messageId) },
        'outbox reconciler re-dispatched queued messages',
      );
    }
    return lost.length;
  }

  /** Runs `runOnce` every `intervalMs`, one pass at a time. */
  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
