import type { QueuedSend } from '../pipeline/outbox.ts';

/** Work a transaction decided on, done once it has committed (Redis never sees uncommitted state). */
export interface AfterCommit {
  sends: QueuedSend[];
  timers: { runId: string; waitSeq: number; dueAt: Date }[];
  /** Runs created in the transaction that still have to be executed (start-flow, webhook). */
  startedRuns: string[];
}

export function emptyAfterCommit(): AfterCommit {
  return { sends: [], timers: [], startedRuns: [] };
}

export function mergeAfterCommit(into: AfterCommit, from: AfterCommit): void {
  into.sends.push(...from.sends);
  into.timers.push(...from.timers);
  into.startedRuns.push(...from.startedRuns);
}
