import type { Job } from 'bullmq';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { QUICK_STALL_DETECTION, type QueueFactory } from '../queues/queue-factory.ts';
import { dispatchCommittedBatch, emptyAfterCommit, type AfterCommit } from './after-commit.ts';
import { tryLockConversation, tryLockConversations } from './conversation-lock.ts';
import { DrainBatcher, type BatchVerdict } from './drain-batcher.ts';
import { INBOX_QUEUE, type InboxJobData } from './engine-queues.ts';
import { RUN_LIMIT_WINDOW_MS, type InboundHandler } from './inbound-handler.ts';
import { markHandled, recordHandlingFailure, selectNextPending, stillPending, type PendingMessage } from './conversation-drain.sql.ts';
import type { WorkspaceTriggers } from './workspace-triggers.ts';
import { RunWriteBatch } from './run-write-batch.ts';
import type { Outbox } from '../pipeline/outbox.ts';
import type { Clock } from '../../engine/clock.ts';

/*
 * Jobs the inbox worker runs at once per process. A job mostly waits for its conversation's turn
 * in a batch, so this bounds how many conversations jobs ask for at once, not the database work;
 * the drains this process asks for itself, for the messages it accepts (see `accepted`), come on
 * top of them.
 */
export const INBOX_CONCURRENCY = 64;
/** Conversations handled in one transaction at most. */
export const MAX_DRAIN_BATCH = 32;
/** Batches of one process in flight at once: each holds a database connection. */
export const DRAIN_BATCHES_IN_FLIGHT = 2;
/*
 * While a batch runs, a second starts only once this many conversations wait: at 200 messages/s a
 * second batch for each newcomer made most batches a single message, each paying its own
 * statements and commit; waiting for the running batch to end shares them, and cut the engine
 * benchmark's open-loop p50 from 30–32 to 21–24 ms and its CPU per message by about a tenth.
 * Under a heavy load enough wait at once and the batches still overlap (closed loop unchanged,
 * bench/README.md, session 15).
 */
export const MORE_DRAIN_BATCHES_FROM = 4;
/** ...or once they have waited this long: a batch held up (a contact's row lock) does not hold the others up. */
export const MORE_DRAIN_BATCHES_AFTER_MS = 50;
/** A drain job's first retry backoff; also the delay of the job that takes over a failed drain here. */
const DRAIN_RETRY_DELAY_MS = 200;

/**
 * Handling a message that failed this many times is given up: the message is marked handled with
 * the error (in `metadata.engine`), so that it no longer holds back its conversation's later
 * messages. Transient failures (a deadlock, a restart) clear well before that: each failure also
 * costs the drain job one of its attempts, retried with backoff.
 */
export const MAX_HANDLING_FAILURES = 3;

/**
 * Per-conversation ordering without BullMQ groups (see engine/README.md).
 *
 * The messages table is each conversation's inbox: inbound rows with `handled_at` null, in id
 * (arrival) order. Every accepted message asks for "drain conversation C": in the accepting
 * process when it runs the inbox worker, else with one job (see `accepted`). The requests of a
 * process are gathered into batches (DrainBatcher): one transaction takes the advisory locks of
 * the batch's conversations without waiting, handles the oldest unhandled message of each one it
 * got, and marks them handled. A conversation whose lock another holder has is left to it: the
 * holder drains everything. One with more messages goes into the next batch; for one whose last
 * message was handled, the inbox is looked at once more after commit (the locks released), so a
 * message committed meanwhile (whose own job found the lock taken) is never stranded.
 */
export class ConversationDrain {
  private readonly batcher: DrainBatcher;
  /** Whether this process runs the inbox worker (see `accepted`). */
  private drainsHere = false;
  /** Drains asked for by `accepted` and not finished, for `stop`. */
  private readonly drainingHere = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      logger: Logger;
      clock: Clock;
      handler: InboundHandler;
      outbox: Outbox;
      afterCommit: (after: AfterCommit) => Promise<void>;
    },
  ) {
    this.batcher = new DrainBatcher(
      (ids) => this.drainBatch(ids),
      (id) => this.drainAlone(id),
      {
        maxBatch: MAX_DRAIN_BATCH,
        batchesInFlight: DRAIN_BATCHES_IN_FLIGHT,
        moreBatchesFrom: MORE_DRAIN_BATCHES_FROM,
        moreBatchesAfterMs: MORE_DRAIN_BATCHES_AFTER_MS,
      },
      deps.logger,
    );
  }

  /** Asks for the conversation to be drained; the message id as job id makes repeats no-ops. */
  async enqueue(conversationId: string, messageId: string, delayMs = 0): Promise<void> {
    await this.deps.queues.queue<InboxJobData>(INBOX_QUEUE).add(
      'drain',
      { conversationId },
      {
        jobId: messageId,
        delay: delayMs,
        removeOnComplete: true,
        removeOnFail: 1_000,
        attempts: 5,
        backoff: { type: 'exponential', delay: DRAIN_RETRY_DELAY_MS },
      },
    );
  }

  /**
   * A message of the conversation was accepted. A process that runs the inbox worker drains it in
   * its own batches, with no job: a job's add, fetch and completion fewer per message. The job is
   * the fallback: when the drain here fails, a drain job takes over with its retries; when this
   * process dies first, the engine reconciler finds the message unhandled and enqueues its job.
   * Other processes (an api-only process) enqueue the job. Resolves once the drain is asked for,
   * not once it is done.
   */
  async accepted(conversationId: string, messageId: string): Promise<void> {
    if (!this.drainsHere) return this.enqueue(conversationId, messageId);
    const drained: Promise<void> = this.drain(conversationId)
      .catch(async (err: unknown) => {
        this.deps.logger.warn({ err, conversationId, messageId }, 'draining the conversation here failed; a drain job retries it');
        await this.enqueue(conversationId, messageId, DRAIN_RETRY_DELAY_MS).catch((enqueueErr: unknown) =>
          this.deps.logger.error(
            { err: enqueueErr, conversationId, messageId },
            'could not enqueue the drain job; the engine reconciler will',
          ),
        );
      })
      .finally(() => this.drainingHere.delete(drained));
    this.drainingHere.add(drained);
  }

  /** Starts this process's inbox worker; accepted messages are drained here from now on (see `accepted`). */
  startWorker(concurrency = INBOX_CONCURRENCY): void {
    const worker = this.deps.queues.worker<InboxJobData>(INBOX_QUEUE, (job: Job<InboxJobData>) => this.drain(job.data.conversationId), {
      concurrency,
      ...QUICK_STALL_DETECTION,
    });
    worker.on('failed', (job, err) =>
      this.deps.logger.warn(
        { err, conversationId: job?.data.conversationId, attemptsMade: job?.attemptsMade },
        'drain job failed; it is retried',
      ),
    );
    this.drainsHere = true;
  }

  /** Stops draining accepted messages here (they get jobs again) and waits for the drains asked for here. */
  async stop(): Promise<void> {
    this.drainsHere = false;
    while (this.drainingHere.size > 0) await Promise.all(this.drainingHere);
  }

  /**
   * After work done under the conversations' locks (a timer batch), drains those that have an
   * unhandled message: one came in meanwhile, and its own drain found the lock taken and left it
   * to the holder. The common case, empty inboxes, costs one indexed read instead of a turn in
   * the drain's batches. A drain that fails here is logged: the engine reconciler finds its
   * message unhandled and drains it.
   */
  async drainIfPending(conversationIds: string[]): Promise<void> {
    if (conversationIds.length === 0) return;
    const pending = await stillPending(this.deps.orm.em.fork(), conversationIds);
    await Promise.all(
      pending.map((conversationId) =>
        this.drain(conversationId).catch((err: unknown) =>
          this.deps.logger.warn(
            { err, conversationId },
            'draining the conversation after its timers failed; the engine reconciler retries',
          ),
        ),
      ),
    );
  }

  /**
   * Handles every unhandled inbound message of the conversation, in order, in batches with the
   * other conversations this process is asked to drain. Rejects when a message of the
   * conversation failed (see drainAlone); after MAX_HANDLING_FAILURES it is set aside.
   */
  drain(conversationId: string): Promise<void> {
    return this.batcher.request(conversationId);
  }

  /**
   * One batch: the oldest unhandled message of each conversation whose lock it gets, in one
   * transaction. A conversation is `done` when another holder has it or its inbox is empty, `again`
   * when it has more, `alone` when its message may wait on an outside system (an HTTP request
   * step) and gets a transaction of its own. One message per contact per batch: a second
   * conversation of the same contact waits for the next batch, so it reads what the first one's
   * run wrote. Throws when anything fails; the batcher then handles each conversation alone.
   *
   * With `alone`, the batch is of one conversation (see drainAlone): its message is handled
   * whatever it may call out to, its rows written as the run goes, and `alone.handling` says
   * which message it was, for the failure count when the batch throws.
   */
  private async drainBatch(conversationIds: string[], alone?: { handling?: PendingMessage }): Promise<Map<string, BatchVerdict>> {
    const verdicts = new Map<string, BatchVerdict>(conversationIds.map((id) => [id, 'done']));
    const after = emptyAfterCommit();
    let locked = new Set<string>();
    await this.deps.orm.em.fork().transactional(async (em) => {
      locked = await tryLockConversations(em, conversationIds);
      if (locked.size === 0) return;
      const since = new Date(this.deps.clock.now().getTime() - RUN_LIMIT_WINDOW_MS);
      const rows = await selectNextPending(em, [...locked], since);
      const triggers = new Map<string, WorkspaceTriggers>();
      const writes = alone ? null : new RunWriteBatch(this.deps.outbox);
      const contacts = new Set<string>();
      const handled: string[] = [];
      for (const msg of rows) {
        if (contacts.has(msg.contactId)) {
          verdicts.set(msg.conversationId, 'again');
          continue;
        }
        let batch: { triggers: WorkspaceTriggers; writes: RunWriteBatch } | undefined;
        if (writes) {
          let index = triggers.get(msg.workspaceId);
          if (!index) triggers.set(msg.workspaceId, (index = await this.deps.handler.triggers(em, msg.workspaceId)));
          if (await this.deps.handler.mayCallOut(em, msg, index)) {
            verdicts.set(msg.conversationId, 'alone');
            continue;
          }
          batch = { triggers: index, writes };
        } else if (alone) alone.handling = msg;
        contacts.add(msg.contactId);
        const outcome = await this.deps.handler.handle(em, msg, after, batch);
        this.deps.logger.debug({ conversationId: msg.conversationId, messageId: msg.id, outcome }, 'inbound message handled');
        handled.push(msg.id);
        if (msg.more) verdicts.set(msg.conversationId, 'again');
      }
      if (handled.length > 0) await markHandled(em, handled);
      // The transaction's last statement (see RunWriteBatch.flush).
      await writes?.flush(em, after);
    });
    // Committed: what fails from here on is not the handling of the message.
    if (alone) alone.handling = undefined;
    await dispatchCommittedBatch(this.deps.afterCommit, after, this.deps.logger, 'drain batch');
    // The locks are released: a message committed while they were held (after the batch read the
    // inboxes; its own job found the lock taken, or shared this batch's request) is seen now.
    const finished = [...locked].filter((id) => verdicts.get(id) === 'done');
    if (finished.length > 0) {
      for (const id of await stillPending(this.deps.orm.em.fork(), finished)) verdicts.set(id, 'again');
    }
    return verdicts;
  }

  /**
   * Handles the conversation's unhandled messages in batches of one conversation, one
   * transaction per message, in order: the path of a message that may call out, and of the
   * conversations of a batch that failed. A message whose handling throws is retried (the job's
   * attempts); after MAX_HANDLING_FAILURES it is set aside with its error and the conversation
   * moves on.
   */
  private async drainAlone(conversationId: string): Promise<void> {
    for (;;) {
      const alone: { handling?: PendingMessage } = {};
      try {
        if ((await this.drainBatch([conversationId], alone)).get(conversationId) !== 'again') return;
      } catch (err) {
        if (!alone.handling || !(await this.recordFailure(conversationId, alone.handling.id, err))) throw err;
      }
    }
  }

  /**
   * Counts a failed handling of `messageId`; true when that was its last allowed failure and the
   * message is now set aside (the drain goes on with the next one), false when it is to be retried.
   */
  private async recordFailure(conversationId: string, messageId: string, err: unknown): Promise<boolean> {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const recorded = await this.deps.orm.em.fork().transactional(async (em) => {
      if (!(await tryLockConversation(em, conversationId))) return null;
      return recordHandlingFailure(em, { id: messageId, error: error.slice(0, 1_000), maxFailures: MAX_HANDLING_FAILURES });
    });
    if (!recorded?.gaveUp) {
      this.deps.logger.warn(
        { err, conversationId, messageId, failures: recorded?.failures },
        'handling an inbound message failed; it is retried',
      );
      return false;
    }
    this.deps.logger.error(
      { err, conversationId, messageId, failures: recorded.failures },
      'handling an inbound message failed too often: it is set aside (metadata.engine) and the conversation moves on',
    );
    return true;
  }
}
