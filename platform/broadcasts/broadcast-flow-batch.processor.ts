import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import type { Orm } from '../db/orm.ts';
import { emptyAfterCommit, type AfterCommit } from '../automation/after-commit.ts';
import type { TriggeredRuns } from '../automation/triggered-runs.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { closeBatch, openBatch } from './broadcast-batch-opening.ts';
import {
  BROADCAST_JOB_OPTIONS,
  BROADCASTS_QUEUE,
  batchJobId,
  type BroadcastBatchJobData,
  type BroadcastJobData,
} from './broadcast-queues.ts';
import { ensureConversations, markRecipientsQueued, skipRecipients } from './broadcast-recipients.sql.ts';

export type FlowBatchOutcome = 'stale' | { dueAt: Date } | { started: number; skipped: number; deferred: number };

/** A recipient's contact, locked, and whether automated messages may still reach it. */
const LockedContactRow = z.object({ id: z.string(), reachable: z.boolean() });

/**
 * One batch of a broadcast that starts a flow for each recipient, run where the engine runs.
 * Like a message batch (BroadcastBatchProcessor), but each ready recipient gets a run of the
 * flow's active version, inserted in the same transaction that marks the recipient queued with
 * the run's id: a retried job finds the recipient no longer pending and starts nothing twice.
 * Recipients are skipped as `flow_inactive` when the flow was deactivated since.
 */
export class BroadcastFlowBatchProcessor {
  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      clock: Clock;
      logger: Logger;
      triggered: Pick<TriggeredRuns, 'startForContact' | 'afterCommit'>;
    },
  ) {}

  async process(data: BroadcastBatchJobData): Promise<FlowBatchOutcome> {
    const now = this.deps.clock.now();
    const after = emptyAfterCommit();
    const em = this.deps.orm.em.fork();
    const outcome = await em.transactional((tem) => this.record(tem, data, now, after));
    if (outcome === 'stale' || 'dueAt' in outcome) return outcome;
    await this.deps.triggered.afterCommit(after);
    await closeBatch(em, this.deps.queues, data, outcome.deferredUntil, (at) =>
      this.deps.queues
        .queue<BroadcastJobData>(BROADCASTS_QUEUE)
        .add(
          'flow-batch',
          { kind: 'flow-batch', ...data },
          { ...BROADCAST_JOB_OPTIONS, jobId: batchJobId(data, at.getTime()), delay: Math.max(0, at.getTime() - now.getTime()) },
        ),
    );
    return { started: outcome.started, skipped: outcome.skipped, deferred: outcome.deferred };
  }

  private async record(
    em: EntityManager,
    data: BroadcastBatchJobData,
    now: Date,
    after: AfterCommit,
  ): Promise<'stale' | { dueAt: Date } | { started: number; skipped: number; deferred: number; deferredUntil: Date | null }> {
    const opened = await openBatch(em, data, ['flow'], now);
    if (opened === 'stale' || 'dueAt' in opened) return opened;
    const { b, sorted } = opened;
    // A run holds its contact's lock; in id order, so batches never deadlock.
    const locked = await runSql(
      em,
      `select id, (opted_out_at is null and restricted_at is null and erased_at is null) as reachable from contacts where id = any(cast(:ids as uuid[])) order by id for no key update`,
      { ids: sorted.ready.map((r) => r.contactId) },
      { row: LockedContactRow },
    );
    const reachable = new Set(locked.rows.filter((r) => r.reachable).map((r) => r.id));
    const skips = [...sorted.skips];
    const ready = sorted.ready.filter((r) => {
      if (reachable.has(r.contactId)) return true;
      skips.push({ id: r.id, reason: 'opted_out' });
      return false;
    });
    const conversations = await ensureConversations(em, {
      workspaceId: b.workspaceId,
      channelId: b.channelId,
      contactIds: ready.map((r) => r.contactId),
      now,
      newId,
    });
    const queued: { id: string; messageId: null; runId: string }[] = [];
    for (const r of ready) {
      const runId = await this.deps.triggered.startForContact(
        em,
        {
          workspaceId: b.workspaceId,
          flowId: b.content.flowId,
          contactId: r.contactId,
          conversationId: conversations.get(r.contactId) as string,
          channelId: b.channelId,
          trigger: { kind: 'broadcast', broadcastId: b.id, recipientId: r.id },
        },
        after,
      );
      if (runId === null) skips.push({ id: r.id, reason: 'flow_inactive' });
      else queued.push({ id: r.id, messageId: null, runId });
    }
    await skipRecipients(em, skips, now);
    await markRecipientsQueued(em, queued, now);
    return { started: queued.length, skipped: skips.length, deferred: sorted.deferred.length, deferredUntil: sorted.deferredUntil };
  }
}
