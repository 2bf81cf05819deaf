import type { EntityManager } from '@mikro-orm/postgresql';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import type { Outbox, QueuedMessageRow } from '../pipeline/outbox.ts';
import type { AfterCommit } from './after-commit.ts';
import { insertRuns, insertSteps, type NewRun, type NewStep } from './run-store.ts';

/**
 * The rows a batch of run advances inserts, written just before the batch's transaction commits:
 * one statement per table for the whole batch instead of one per run. Only inserts of new rows
 * wait here (new runs, their steps, their outbox messages); updates of existing rows, and every
 * read, happen at once. Nothing in the batch reads these rows back before `flush`: the drain
 * handles one message per contact per batch, and each message's run writes rows of its own.
 */
export class RunWriteBatch {
  readonly runs: NewRun[] = [];
  readonly messages: QueuedMessageRow[] = [];
  readonly steps: NewStep[] = [];

  constructor(private readonly outbox: Outbox) {}

  /**
   * Inserts the rows, runs first (messages and steps refer to them), the outbox messages last; the outbox messages of a
   * channel are sent together by one batch job (Outbox.sendTogether), whose id is set on each
   * of `after`'s sends for the dispatch after commit. An outbox row whose
   * idempotency key exists already (not expected: its keys are the new runs' own) fails the
   * batch, whose messages are then handled one by one on the path that answers the existing row.
   */
  async flush(em: EntityManager, after: AfterCommit): Promise<void> {
    await insertRuns(em, this.runs);
    await insertSteps(em, this.steps);
    // Last, so that the caller commits right after it: the statement counts the messages on the
    // workspace's usage row, whose lock every sending transaction of the workspace waits for
    // until this one commits (see platform/billing/usage-meter.ts).
    const batchJobs = this.outbox.sendTogether(this.messages);
    const inserted = await this.outbox.insertQueuedRows(em, this.messages);
    const conflicting = this.messages.find((m) => !inserted.has(m.id));
    if (conflicting)
      throw new InvariantError(
        `outbound message with key ${conflicting.idempotency_key} exists already; the batch is redone message by message`,
        {
          messageId: conflicting.id,
          idempotencyKey: conflicting.idempotency_key,
        },
      );
    for (const send of after.sends) {
      const batchJobId = batchJobs.get(send.messageId);
      if (batchJobId !== undefined) send.batchJobId = batchJobId;
    }
  }
}
