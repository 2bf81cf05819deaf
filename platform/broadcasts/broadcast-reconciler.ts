import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import { batchDueAt } from '../../engine/broadcasts/broadcast-pace.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { addFinishCheck } from './broadcast-batch-opening.ts';
import { enqueueBatches } from './broadcast-batch-jobs.ts';
import {
  BROADCAST_JOB_OPTIONS,
  BROADCASTS_QUEUE,
  batchJobId,
  broadcastSendQueueName,
  recurringSchedulerId,
  startJobId,
  type BroadcastJobData,
} from './broadcast-queues.ts';
import { BROADCAST_COLUMNS, BroadcastRow } from './broadcast-store.ts';
import { PeriodicPass } from '../runtime/periodic-pass.ts';

/** Work overdue by this much is taken for lost (its job is gone from Redis) and added again. */
export const DEFAULT_BROADCAST_GRACE_MS = 60_000;
const ALIVE: ReadonlySet<string> = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
/** A pending batch: whether a recipient of it was never looked at, and the first quiet-hours wait (min() of none: null). */
const PendingBatchRow = z.object({ batch: z.number(), fresh: z.boolean(), notBefore: z.date().nullable() });

/**
 * Puts back the jobs a broadcast needs when Redis lost them (or a process died between a commit
 * and the job it was to add). Every broadcast job is idempotent, so adding one that is not
 * needed does no harm; the reconciler only avoids the waste:
 * - a scheduled one-off broadcast past its start time with no live start job gets one;
 * - a scheduled recurring broadcast without its job scheduler gets it again;
 * - a running broadcast's pending batch, overdue (pace and quiet hours considered) with no live
 *   job, gets one; a running broadcast with nothing pending gets its finish check.
 */
export class BroadcastReconciler {
  private readonly periodic: PeriodicPass;
  private readonly graceMs: number;

  constructor(private readonly deps: { orm: Orm; queues: QueueFactory; clock: Clock; logger: Logger; graceMs?: number }) {
    this.periodic = new PeriodicPass(() => this.runOnce(), { logger: deps.logger, message: 'broadcast reconciler pass failed' });
    this.graceMs = deps.graceMs ?? DEFAULT_BROADCAST_GRACE_MS;
  }

  /** One pass; answers how many jobs it added. */
  async runOnce(): Promise<number> {
    const em = this.deps.orm.em.fork();
    const now = this.deps.clock.now();
    const overdue = new Date(now.getTime() - this.graceMs);
    const queue = this.deps.queues.queue<BroadcastJobData>(BROADCASTS_QUEUE);
    let added = 0;
    const { rows } = await runSql(
      em,
      `select ${BROADCAST_COLUMNS} from broadcasts b where b.state in ('scheduled', 'running')`,
      {},
      { row: BroadcastRow },
    );
    for (const b of rows) {
      if (b.state === 'scheduled' && b.schedule.kind === 'recurring' && b.parentId === null) {
        if (!(await queue.getJobScheduler(recurringSchedulerId(b.id)))) {
          await queue.upsertJobScheduler(
            recurringSchedulerId(b.id),
            { pattern: b.schedule.cron, tz: b.schedule.timezone },
            { name: 'occurrence', data: { kind: 'occurrence', broadcastId: b.id }, opts: BROADCAST_JOB_OPTIONS },
          );
          added += 1;
        }
      } else if (b.state === 'scheduled') {
        if (b.nextRunAt !== null && b.nextRunAt < overdue && !ALIVE.has(await queue.getJobState(startJobId(b.id, b.generation)))) {
          await queue.remove(startJobId(b.id, b.generation));
          await queue.add(
            'start',
            { kind: 'start', broadcastId: b.id },
            { ...BROADCAST_JOB_OPTIONS, jobId: startJobId(b.id, b.generation) },
          );
          added += 1;
        }
      } else {
        added += await this.reconcileRunning(b, now, overdue);
      }
    }
    if (added > 0) this.deps.logger.warn({ added }, 'broadcast reconciler added lost jobs');
    return added;
  }

  private async reconcileRunning(b: BroadcastRow, now: Date, overdue: Date): Promise<number> {
    const em = this.deps.orm.em.fork();
    // A batch with a recipient never looked at is due at its pace; one whose recipients all wait out quiet hours, when the first may go.
    const { rows } = await runSql(
      em,
      `select batch, bool_or(not_before is null) as fresh, min(not_before) as "notBefore"
         from broadcast_recipients where broadcast_id = :id and state = 'pending' group by batch order by batch`,
      { id: b.id },
      { row: PendingBatchRow },
    );
    if (rows.length === 0) {
      await addFinishCheck(this.deps.queues, b.id, b.generation);
      return 0;
    }
    const batchQueue =
      b.content.kind === 'flow' ? this.deps.queues.queue(BROADCASTS_QUEUE) : this.deps.queues.queue(broadcastSendQueueName(b.channelId));
    const lost: number[] = [];
    for (const row of rows) {
      const due = batchDueAt(row.batch, { batch: b.paceAnchorBatch, at: b.paceAnchorAt ?? now }, b.batchSize, b.effectivePacePerMinute);
      const notBefore = row.notBefore;
      const dueAt = !row.fresh && notBefore !== null && notBefore > due ? notBefore : due;
      if (dueAt >= overdue) continue;
      const jobId = batchJobId({ broadcastId: b.id, batch: row.batch, generation: b.generation });
      const state = await batchQueue.getJobState(jobId);
      if (ALIVE.has(state)) continue;
      if (state !== 'unknown') await batchQueue.remove(jobId);
      lost.push(row.batch);
    }
    await enqueueBatches(this.deps.queues, b, lost, now);
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
