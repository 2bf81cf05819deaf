import { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { Orm } from '../db/orm.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { ConversationDrain } from './conversation-drain.ts';
import type { Queue } from 'bullmq';
import { INBOX_QUEUE, TIMER_QUEUE, timerJobId } from './engine-queues.ts';
import type { RunTimers } from './run-timers.ts';

/** An inbound message still unhandled after this long has probably lost its job. */
export const UNHANDLED_GRACE_MS = 5_000;
/** A waiting run this far past its due time has probably lost its timer. */
export const OVERDUE_GRACE_MS = 2_000;
const BATCH_ROWS = 500;

/** The oldest unhandled inbound message of each conversation whose messages wait past the grace. */
const UNHANDLED_SQL = `select conversation_id as "conversationId", min(id::text) as "messageId" from messages
        where direction = 'inbound' and handled_at is null and created_at < now() - make_interval(secs => :graceS)
        group by conversation_id limit :limit`;
/** `messageId` is never null: each group has a message. */
const UnhandledRow = z.object({ conversationId: z.string(), messageId: z.string() });

const OVERDUE_SQL = `select id, step_count as "stepCount", due_at as "dueAt" from runs where status = 'waiting' and due_at < now() - make_interval(secs => :graceS) order by due_at limit :limit`;
const OverdueRow = z.object({ id: z.string(), stepCount: z.number(), dueAt: z.date() });

/**
 * Postgres is the truth and Redis carries signals, so a signal lost (Redis restarted without
 * its data, a crash between commit and enqueue) must be re-sent from the truth: inbound
 * messages not handled get their drain job again; waiting runs past their due time whose
 * timer job is gone get it again. Both jobs are idempotent, so a duplicate costs nothing.
 */
export class EngineReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: { orm: Orm; queues: QueueFactory; logger: Logger; drain: ConversationDrain; timers: RunTimers }) {}

  /** One pass; returns how many jobs it re-sent. */
  async runOnce(): Promise<{ drains: number; timers: number }> {
    const em = this.deps.orm.em.fork();
    const unhandled = await runSql(em, UNHANDLED_SQL, { graceS: UNHANDLED_GRACE_MS / 1000, limit: BATCH_ROWS }, { row: UnhandledRow });
    const inbox = this.deps.queues.queue(INBOX_QUEUE);
    for (const row of unhandled.rows) {
      // A drain job that used up its attempts (a database restart longer than its backoff) is
      // kept as failed under the message's id, where it would turn the new job into a no-op.
      await removeIfFailed(inbox, row.messageId);
      await this.deps.drain.enqueue(row.conversationId, row.messageId);
    }

    const overdue = await runSql(em, OVERDUE_SQL, { graceS: OVERDUE_GRACE_MS / 1000, limit: BATCH_ROWS }, { row: OverdueRow });
    const queue = this.deps.queues.queue(TIMER_QUEUE);
    const lost = [];
    for (const run of overdue.rows) {
      const jobId = timerJobId(run.id, run.stepCount);
      // Gone (Redis lost it), or failed (its attempts used up while the conversation stayed busy
      // or the database was down): the run would wait for ever. A job still waiting, delayed or
      // active is on its way; an active one whose worker died is moved back by stall detection.
      if ((await removeIfFailed(queue, jobId)) || !(await queue.getJob(jobId)))
        lost.push({ runId: run.id, waitSeq: run.stepCount, dueAt: run.dueAt });
    }
    await this.deps.timers.schedule(lost);
    if (unhandled.rows.length || lost.length)
      this.deps.logger.info({ drains: unhandled.rows.length, timers: lost.length }, 'engine reconciler re-sent lost jobs');
    return { drains: unhandled.rows.length, timers: lost.length };
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err) => this.deps.logger.error({ err }, 'engine reconciler pass failed'))
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

/** Removes the job `jobId` if it is in the failed set; answers whether it did. */
async function removeIfFailed(queue: Queue, jobId: string): Promise<boolean> {
  const job = await queue.getJob(jobId);
  if (!job || (await job.getState()) !== 'failed') return false;
  await job.remove();
  return true;
}
