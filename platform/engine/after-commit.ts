import { emptyInboxAfterCommit, mergeInboxAfterCommit, type InboxAfterCommit } from '../inbox/inbox-effects.ts';
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

export function mergeAfterCommit(into: AfterCommit, from: AfterCommit): void {
  into.sends.push(...from.sends);
  into.timers.push(...from.timers);
  into.startedRuns.push(...from.startedRuns);
  mergeInboxAfterCommit(into.inbox, from.inbox);
}
