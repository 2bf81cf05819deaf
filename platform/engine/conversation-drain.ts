import type { EntityManager } from '@mikro-orm/postgresql';
import type { Job } from 'bullmq';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { emptyAfterCommit, type AfterCommit } from './after-commit.ts';
import { tryLockConversation } from './conversation-lock.ts';
import { INBOX_QUEUE, type InboxJobData } from './engine-queues.ts';
import { NEXT_PENDING_SQL, RUN_LIMIT_WINDOW_MS, type InboundHandler, type PendingMessage } from './inbound-handler.ts';
import type { Clock } from '../../engine/clock.ts';

/** Jobs the inbox worker runs at once per process; conversations are independent. */
export const INBOX_CONCURRENCY = 16;

/**
 * Handling a message that failed this many times is given up: the message is marked handled with
 * the error (in `metadata.engine`), so that it no longer holds back its conversation's later
 * messages. Transient failures (a deadlock, a restart) clear well before that: each failure also
 * costs the drain job one of its attempts, retried with backoff.
 */
export const MAX_HANDLING_FAILURES = 3;

/*
 * Counts a failure of the message's handling and, at the limit, marks it handled with the error.
 * Runs in a transaction of its own (the handling's was rolled back), under the conversation lock.
 */
const RECORD_HANDLING_FAILURE_SQL = `
update messages
   set metadata = jsonb_set(metadata, '{engine}', coalesce(metadata -> 'engine', '{}') || jsonb_build_object(
         'failures', coalesce(cast(metadata #>> '{engine,failures}' as integer), 0) + 1,
         'lastError', cast(:error as text))),
       handled_at = case when coalesce(cast(metadata #>> '{engine,failures}' as integer), 0) + 1 >= :maxFailures then now() else handled_at end
 where id = :id and handled_at is null
returning cast(metadata #>> '{engine,failures}' as integer) as failures, handled_at is not null as "gaveUp"`;

/**
 * Per-conversation ordering without BullMQ groups (see engine/README.md).
 *
 * The messages table is each conversation's inbox: inbound rows with `handled_at` null, in id
 * (arrival) order. Every accepted message adds one job "drain conversation C". A job takes C's
 * advisory lock without waiting: if another job holds it, this one ends, because the holder
 * drains everything. The holder handles one message per transaction, in order, and after it
 * releases the lock it looks once more for unhandled messages, so a message committed while it
 * held the lock (whose own job found the lock taken) is never stranded.
 */
export class ConversationDrain {
  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      logger: Logger;
      clock: Clock;
      handler: InboundHandler;
      afterCommit: (after: AfterCommit) => Promise<void>;
    },
  ) {}

  /** Asks for the conversation to be drained; the message id as job id makes repeats no-ops. */
  async enqueue(conversationId: string, messageId: string): Promise<void> {
    await this.deps.queues.queue<InboxJobData>(INBOX_QUEUE).add('drain', { conversationId }, { jobId: messageId, removeOnComplete: true, removeOnFail: 1_000, attempts: 5, backoff: { type: 'exponential', delay: 200 } });
  }

  /** Starts this process's inbox worker. */
  startWorker(concurrency = INBOX_CONCURRENCY): void {
    const worker = this.deps.queues.worker<InboxJobData>(INBOX_QUEUE, (job: Job<InboxJobData>) => this.drain(job.data.conversationId), { concurrency });
    worker.on('failed', (job, err) => this.deps.logger.warn({ err, conversationId: job?.data.conversationId, attemptsMade: job?.attemptsMade }, 'drain job failed; it is retried'));
  }

  /**
   * Runs `work` in a transaction holding the conversation's lock, then drains its inbox.
   * Returns false (and does nothing) when another job holds the lock.
   */
  async withConversation(conversationId: string, work: (em: EntityManager, after: AfterCommit) => Promise<void>): Promise<boolean> {
    const after = emptyAfterCommit();
    const locked = await this.deps.orm.em.fork().transactional(async (em) => {
      if (!(await tryLockConversation(em, conversationId))) return false;
      await work(em, after);
      return true;
    });
    if (!locked) return false;
    await this.deps.afterCommit(after);
    await this.drain(conversationId);
    return true;
  }

  /**
   * Handles every unhandled inbound message of the conversation, in order. A message whose
   * handling throws is retried (the job's attempts); after MAX_HANDLING_FAILURES it is set aside
   * with its error and the conversation moves on.
   */
  async drain(conversationId: string): Promise<void> {
    for (;;) {
      const after = emptyAfterCommit();
      let current: PendingMessage | undefined;
      let step: 'busy' | 'empty' | 'more' | 'last';
      try {
        step = await this.deps.orm.em.fork().transactional(async (em) => {
          if (!(await tryLockConversation(em, conversationId))) return 'busy' as const;
          const since = new Date(this.deps.clock.now().getTime() - RUN_LIMIT_WINDOW_MS);
          const { rows } = await runSql<PendingMessage>(em, NEXT_PENDING_SQL, { conversationId, since });
          current = rows[0];
          if (!current) return 'empty' as const;
          const outcome = await this.deps.handler.handle(em, current, after);
          await runSql(em, `update messages set handled_at = now() where id = :id`, { id: current.id });
          this.deps.logger.debug({ conversationId, messageId: current.id, outcome }, 'inbound message handled');
          return rows.length > 1 ? ('more' as const) : ('last' as const);
        });
      } catch (err) {
        if (!current || !(await this.recordFailure(conversationId, current.id, err))) throw err;
        step = 'more';
      }
      if (step === 'busy') return;
      await this.deps.afterCommit(after);
      if (step === 'more') continue;
      // The lock is released: a message committed while we held it (whose own job found the
      // lock taken and ended) is seen now.
      const { rows } = await runSql<{ pending: boolean }>(this.deps.orm.em.fork(), `select exists (select 1 from messages where conversation_id = :conversationId and direction = 'inbound' and handled_at is null) as pending`, { conversationId });
      if (!rows[0]?.pending) return;
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
      return (await runSql<{ failures: number; gaveUp: boolean }>(em, RECORD_HANDLING_FAILURE_SQL, { id: messageId, error: error.slice(0, 1_000), maxFailures: MAX_HANDLING_FAILURES })).rows[0] ?? null;
    });
    if (!recorded?.gaveUp) {
      this.deps.logger.warn({ err, conversationId, messageId, failures: recorded?.failures }, 'handling an inbound message failed; it is retried');
      return false;
    }
    this.deps.logger.error({ err, conversationId, messageId, failures: recorded.failures }, 'handling an inbound message failed too often: it is set aside (metadata.engine) and the conversation moves on');
    return true;
  }
}
