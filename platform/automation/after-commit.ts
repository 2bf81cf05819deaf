import { emptyInboxAfterCommit, type InboxAfterCommit } from '../inbox/inbox-effects.ts';
import type { Logger } from '../logger.ts';
import type { QueuedSend } from '../pipeline/outbox.ts';

/** Work a transaction decided on, done once it has committed (Redis never sees uncommitted state). */
export interface AfterCommit {
  sends: QueuedSend[];
  timers: { runId: string; waitSeq: number; dueAt: Date }[];
  /** What hand_off steps decided in the support inbox (events, kicks, timers). */
  inbox: InboxAfterCommit;
}

export function emptyAfterCommit(): AfterCommit {
  return { sends: [], timers: [], inbox: emptyInboxAfterCommit() };
}

/**
 * Dispatches what a committed batch (a drain's, a timer's) decided. A failure is logged, not
 * thrown: the batch's rows are committed, so its work is done, and the reconcilers redo its sends
 * and timers from the database.
 */
export async function dispatchCommittedBatch(
  dispatch: (after: AfterCommit) => Promise<void>,
  after: AfterCommit,
  logger: Pick<Logger, 'error'>,
  batch: string,
): Promise<void> {
  try {
    await dispatch(after);
  } catch (err) {
    logger.error(
      { err, sends: after.sends.length, timers: after.timers.length },
      `dispatching a ${batch}'s sends or timers failed; the reconcilers redo it`,
    );
  }
}
