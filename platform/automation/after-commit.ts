import { emptyInboxAfterCommit, type InboxAfterCommit } from '../inbox/inbox-effects.ts';
import type { QueuedSend } from '../pipeline/outbox.ts';

/** Work a transaction decided on, done once it has committed (Redis never sees uncommitted state). */
export interface AfterCommit {
  sends: QueuedSend[];
  timers: { runId: string; waitSeq: number; dueAt: Date }[];
  /** Runs created in the transaction that still have to be executed (start-flow, webhook). */
  startedRuns: string[];
  /** What hand_off steps decided in the support inbox (events, kicks, timers). */
  inbox: InboxAfterCommit;
}

export function emptyAfterCommit(): AfterCommit {
  return { sends: [], timers: [], startedRuns: [], inbox: emptyInboxAfterCommit() };
}
