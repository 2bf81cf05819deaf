import type { EntityManager } from '@mikro-orm/postgresql';
import type { Job } from 'bullmq';
import { UnavailableError } from '../../engine/errors/app-error.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { QUICK_STALL_DETECTION, type QueueFactory } from '../queues/queue-factory.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { emptyAfterCommit, type AfterCommit } from './after-commit.ts';
import { tryLockConversation } from './conversation-lock.ts';
import type { ConversationDrain } from './conversation-drain.ts';
import { TIMER_QUEUE, timerJobId, type TimerJobData } from './engine-queues.ts';
import type { RunExecutor } from './run-executor.ts';
import { lockRunAndEarlierDue, type RunRow } from './run-store.ts';
import { RunWriteBatch } from './run-write-batch.ts';
import type { Outbox } from '../pipeline/outbox.ts';

/** Timer jobs that find their conversation busy retry this often (ms), many times. */
const BUSY_RETRY_MS = 100;
const BUSY_ATTEMPTS = 100;

/**
 * Waits and delays are BullMQ delayed jobs with deterministic ids (run + the step count at which
 * the wait began), never polling: scheduling the same wait twice makes one job, and a timer
 * for a wait that has since ended (a reply came first) finds the run moved on and does nothing.
 */
export class RunTimers {
  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      logger: Logger;
      clock: Clock;
      executor: RunExecutor;
      outbox: Outbox;
      drain: ConversationDrain;
      afterCommit: (after: AfterCommit) => Promise<void>;
    },
  ) {}

  async schedule(timers: AfterCommit['timers']): Promise<void> {
    if (timers.length === 0) return;
    const now = this.deps.clock.now().getTime();
    await this.deps.queues.queue<TimerJobData>(TIMER_QUEUE).addBulk(
      timers.map((t) => ({
        name: 'wake',
        data: { runId: t.runId, waitSeq: t.waitSeq },
        opts: {
          jobId: timerJobId(t.runId, t.waitSeq),
          delay: Math.max(0, t.dueAt.getTime() - now),
          removeOnComplete: true,
          removeOnFail: 1_000,
          attempts: BUSY_ATTEMPTS,
          backoff: { type: 'fixed', delay: BUSY_RETRY_MS },
        },
      })),
    );
  }

  startWorker(concurrency = 8): void {
    this.deps.queues.worker<TimerJobData>(TIMER_QUEUE, (job: Job<TimerJobData>) => this.fire(job.data.runId, job.data.waitSeq), {
      concurrency,
      ...QUICK_STALL_DETECTION,
    });
  }

  /**
   * Wakes the run with its timeout if it still waits on the wait this timer was set for. The
   * timers of one conversation fire in the order they were due: runs of the conversation due
   * before this one whose timers are late (their jobs lost with Redis's data, or held by a worker
   * that died) are woken first, in the same transaction, and their own jobs then find nothing to do.
   */
  async fire(runId: string, waitSeq: number): Promise<void> {
    const { rows } = await runSql<{ conversationId: string | null }>(
      this.deps.orm.em.fork(),
      `select conversation_id as "conversationId" from runs where id = :runId`,
      { runId },
    );
    if (!rows[0]) return;
    const work = async (em: EntityManager, after: AfterCommit) => {
      const { run, earlier } = await lockRunAndEarlierDue(em, runId);
      if (!run || !isStillWaiting(run, waitSeq)) return;
      // New rows wait for the end of the transaction, the outbox messages last (see RunWriteBatch.flush).
      const writes = new RunWriteBatch(this.deps.outbox);
      for (const late of earlier) await this.deps.executor.resume(em, late, { kind: 'timeout' }, after, { writes });
      await this.deps.executor.resume(em, run, { kind: 'timeout' }, after, { writes });
      await writes.flush(em, after);
    };
    const conversationId = rows[0].conversationId;
    if (conversationId) {
      // Under the conversation's lock, like its messages: a timeout and a reply never interleave.
      if (!(await this.deps.drain.withConversation(conversationId, work)))
        throw new UnavailableError(`conversation ${conversationId} is busy; the timer of run ${runId} retries`);
      return;
    }
    const after = emptyAfterCommit();
    const locked = await this.deps.orm.em.fork().transactional(async (em) => {
      if (!(await tryLockConversation(em, runId))) return false;
      await work(em, after);
      return true;
    });
    if (!locked) throw new UnavailableError(`run ${runId} is busy; its timer retries`);
    await this.deps.afterCommit(after);
  }
}

function isStillWaiting(run: RunRow, waitSeq: number): boolean {
  return run.status === 'waiting' && run.stepCount === waitSeq;
}
