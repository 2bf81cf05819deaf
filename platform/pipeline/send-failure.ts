import { AppError } from '../../engine/errors/app-error.ts';

/** A message deferred by lasting conditions (caps, a paused number) fails once it has been queued this long. */
export const MAX_DEFERRED_MS = 24 * 3600 * 1000;

/** What becomes of a message whose provider call failed, whichever path sent it (a send job, a batch). */
export type SendFailureDecision =
  /** Not an AppError: whether the provider took the message is unknown. Its attempt stays in flight, and a later attempt judges it. */
  | { kind: 'outcome-unknown' }
  /** A lasting condition (a rate cap, a session reconnecting): look again after `delayMs`, without spending an attempt. */
  | { kind: 'defer'; reason: string; delayMs: number }
  /** The provider did not take it and a later attempt may: try again after the retry policy's backoff. */
  | { kind: 'retry'; reason: string }
  /** It will not be sent: the message fails with the reason. */
  | { kind: 'fail'; reason: string };

/**
 * The one classification of send failures. `attemptsMade`: the message's attempts before this one;
 * `attempts`: how many its retry policy allows in all (see SendRetryPolicy).
 */
export function decideSendFailure(
  err: unknown,
  message: { queuedAt: Date; attemptsMade: number; attempts: number },
  now: Date,
): SendFailureDecision {
  if (!(err instanceof AppError)) return { kind: 'outcome-unknown' };
  const reason = `${err.code}: ${err.message}`;
  if (err.disposition !== 'retry') return { kind: 'fail', reason };
  if (err.deferMs !== undefined && now.getTime() - message.queuedAt.getTime() < MAX_DEFERRED_MS)
    return { kind: 'defer', reason, delayMs: err.deferMs };
  return message.attemptsMade + 1 < message.attempts ? { kind: 'retry', reason } : { kind: 'fail', reason };
}
