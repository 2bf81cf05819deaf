/** The engine's BullMQ queues. Jobs carry ids only; Postgres holds the state. */

/** One job per inbound message (jobId = message id): "drain this conversation's inbox". */
export const INBOX_QUEUE = 'engine-inbox';
export interface InboxJobData {
  conversationId: string;
}

/** Delayed jobs that wake a waiting run (a delay, a reply timeout). */
export const TIMER_QUEUE = 'engine-timers';
export interface TimerJobData {
  runId: string;
  /** The run's step count when it began to wait: a timer for an older wait is ignored. */
  waitSeq: number;
}

/** Deterministic timer job id: re-scheduling the same wait never makes a second job. */
export function timerJobId(runId: string, waitSeq: number): string {
  return `timer-${runId}-${waitSeq}`;
}
