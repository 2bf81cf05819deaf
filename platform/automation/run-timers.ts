import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Job } from 'bullmq';
import { UnavailableError } from '../../engine/errors/app-error.ts';
import type { Clock } from '../../engine/clock.ts';
import { flowCallsOut } from '../../engine/flows/node-catalog.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { QUICK_STALL_DETECTION, type QueueFactory } from '../queues/queue-factory.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { dispatchCommittedBatch, emptyAfterCommit, type AfterCommit } from './after-commit.ts';
import { tryLockConversations } from './conversation-lock.ts';
import type { ConversationDrain } from './conversation-drain.ts';
import { DrainBatcher, type BatchVerdict } from './drain-batcher.ts';
import { TIMER_QUEUE, timerJobId, type TimerJobData } from './engine-queues.ts';
import type { FlowCache } from './flow-cache.ts';
import type { RunExecutor } from './run-executor.ts';
import { lockRunAndEarlierDue, type RunRow } from './run-store.ts';
import { RunWriteBatch } from './run-write-batch.ts';
import type { Outbox } from '../pipeline/outbox.ts';

/** Timer jobs that find their conversation busy retry this often (ms), many times. */
const BUSY_RETRY_MS = 100;
const BUSY_ATTEMPTS = 100;
/**
 * Timer jobs one process runs at once. A job mostly waits for its turn in a batch (see
 * `fireBatch`), so this bounds how many timers can share the next batch, not the database work.
 * It is also how many timers a worker killed with kill -9 holds until stall detection hands them
 * on (STALL_DETECTION_MS late). Measured in the chaos run's long form (100 timers/s, 2 workers
 * alive most of the time): with 64 the timer p99 was 2.3–2.6 s in three runs and 4.5 s in the one
 * with the most kills (26); with 32 the batches were too small and timers queued (p99 24.7 s).
 */
export const TIMER_CONCURRENCY = 64;
/** Timers fired in one transaction at most, and such batches of one process in flight at once. */
const MAX_TIMER_BATCH = 32;
const TIMER_BATCHES_IN_FLIGHT = 2;

/** The batcher's key of a timer: its run and the step count at which the wait began. */
const timerKey = (runId: string, waitSeq: number) => `${runId}/${waitSeq}`;
function parseTimerKey(key: string): { runId: string; waitSeq: number } {
  const slash = key.lastIndexOf('/');
  return { runId: key.slice(0, slash), waitSeq: Number(key.slice(slash + 1)) };
}

/** What a batch reads of a timer's run before taking locks: what it locks and whether it may call out. */
const TIMER_TARGETS_SQL = `select id, conversation_id as "conversationId", contact_id as "contactId", flow_version_id as "flowVersionId"
           from runs where id = any(cast(:ids as uuid[]))`;
/** A timer's run: a run started by a schedule or the API has no conversation or contact. */
const TimerTargetRow = z.object({
  id: z.string(),
  conversationId: z.string().nullable(),
  contactId: z.string().nullable(),
  flowVersionId: z.string(),
});
type TimerTarget = z.infer<typeof TimerTargetRow>;

/**
 * Waits and delays are BullMQ delayed jobs with deterministic ids (run + the step count at which
 * the wait began), never polling: scheduling the same wait twice makes one job, and a timer
 * for a wait that has since ended (a reply came first) finds the run moved on and does nothing.
 *
 * Due timers fire in batches, as inbound messages are drained: the timer jobs a process runs at
 * once are gathered (DrainBatcher), and one transaction locks their conversations, wakes their
 * runs and writes what they did, with one commit. Under load that is the difference between
 * timers on time and timers minutes late (issue 21: one transaction and three round trips per
 * timer fell behind 100 timers/s on two cores while the batched inbound path kept up).
 */
export class RunTimers {
  private readonly batcher: DrainBatcher;

  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      logger: Logger;
      clock: Clock;
      executor: RunExecutor;
      outbox: Outbox;
      flows: Pick<FlowCache<unknown>, 'version'>;
      drain: ConversationDrain;
      afterCommit: (after: AfterCommit) => Promise<void>;
    },
  ) {
    this.batcher = new DrainBatcher(
      (keys) => this.fireBatch(keys),
      (key) => this.fireAlone(key),
      { maxBatch: MAX_TIMER_BATCH, batchesInFlight: TIMER_BATCHES_IN_FLIGHT },
      deps.logger,
    );
  }

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

  startWorker(concurrency = TIMER_CONCURRENCY): void {
    this.deps.queues.worker<TimerJobData>(TIMER_QUEUE, (job: Job<TimerJobData>) => this.fire(job.data.runId, job.data.waitSeq), {
      concurrency,
      ...QUICK_STALL_DETECTION,
    });
  }

  /**
   * Wakes the run with its timeout if it still waits on the wait this timer was set for, in a batch
   * with the other timers this process fires meanwhile. Rejects with an UnavailableError when
   * another process holds the run's conversation (the job retries).
   */
  fire(runId: string, waitSeq: number): Promise<void> {
    return this.batcher.request(timerKey(runId, waitSeq));
  }

  /**
   * One batch of timers, in one transaction. Per timer the verdict is `busy` when another holder
   * has its conversation, `again` when the batch wakes a run of the same contact already (the
   * batch's rows are written at its end, see RunWriteBatch: one run per contact per batch),
   * `alone` when its flow may call an outside system, else `done`. With `alone` (see fireAlone)
   * the batch's one timer wakes its run whatever the flow may call out to.
   *
   * The timers of one conversation fire in the order they were due: runs of the conversation due
   * before the one woken whose timers are late (their jobs lost with Redis's data, or held by a
   * worker that died) are woken first, in the same transaction, and their own jobs then find
   * nothing to do.
   */
  private async fireBatch(keys: string[], alone = false): Promise<Map<string, BatchVerdict>> {
    const verdicts = new Map<string, BatchVerdict>(keys.map((key) => [key, 'done']));
    const timers = keys.map((key) => ({ key, ...parseTimerKey(key) }));
    const after = emptyAfterCommit();
    const held = new Set<string>();
    await this.deps.orm.em.fork().transactional(async (em) => {
      const { rows } = await runSql(em, TIMER_TARGETS_SQL, { ids: [...new Set(timers.map((t) => t.runId))] }, { row: TimerTargetRow });
      const targets = new Map(rows.map((r) => [r.id, r]));
      // A run without a conversation (started by a schedule or the API) is locked by its own id.
      const lockOf = (t: TimerTarget) => t.conversationId ?? t.id;
      const locked = await tryLockConversations(em, [...new Set(rows.map(lockOf))]);
      for (const target of rows) if (target.conversationId !== null && locked.has(target.conversationId)) held.add(target.conversationId);
      const writes = new RunWriteBatch(this.deps.outbox);
      const contacts = new Set<string>();
      for (const timer of timers) {
        const target = targets.get(timer.runId);
        if (!target) continue;
        if (!locked.has(lockOf(target))) {
          verdicts.set(timer.key, 'busy');
          continue;
        }
        if (target.contactId !== null && contacts.has(target.contactId)) {
          verdicts.set(timer.key, 'again');
          continue;
        }
        const { run, earlier } = await lockRunAndEarlierDue(em, timer.runId);
        if (!run || !isStillWaiting(run, timer.waitSeq)) continue;
        if (!alone && (await this.mayCallOut(em, [...earlier, run]))) {
          verdicts.set(timer.key, 'alone');
          continue;
        }
        if (target.contactId !== null) contacts.add(target.contactId);
        await this.wake(em, [...earlier, run], after, writes);
      }
      // The transaction's last statement (see RunWriteBatch.flush).
      await writes.flush(em, after);
    });
    await dispatchCommittedBatch(this.deps.afterCommit, after, this.deps.logger, 'timer batch');
    // Every conversation whose lock the batch held, whether it woke a run there or not: a message
    // that came in meanwhile had its drain find the lock taken and leave it to the holder.
    await this.deps.drain.drainIfPending([...held]);
    return verdicts;
  }

  /** Wakes the runs with their timeout, in the order given (earlier-due runs of a conversation first). */
  private async wake(em: EntityManager, runs: RunRow[], after: AfterCommit, writes: RunWriteBatch): Promise<void> {
    for (const run of runs) await this.deps.executor.resume(em, run, { kind: 'timeout' }, after, { writes });
  }

  /** Whether waking these runs may wait on an outside system (an HTTP request step): such a run is woken alone. */
  private async mayCallOut(em: EntityManager, runs: RunRow[]): Promise<boolean> {
    for (const run of runs) if (flowCallsOut((await this.deps.flows.version(em, run.flowVersionId)).document)) return true;
    return false;
  }

  /**
   * One timer in a batch of its own: the path of a timer whose run may call out, and of the
   * timers of a batch that failed. Rejects with an UnavailableError when another holder has the
   * run's conversation (its job retries).
   */
  private async fireAlone(key: string): Promise<void> {
    for (;;) {
      const verdict = (await this.fireBatch([key], true)).get(key);
      if (verdict === 'again') continue;
      if (verdict === 'busy') throw new UnavailableError(`the conversation of the run of timer ${key} is busy; the timer retries`);
      return;
    }
  }
}

function isStillWaiting(run: RunRow, waitSeq: number): boolean {
  return run.status === 'waiting' && run.stepCount === waitSeq;
}
