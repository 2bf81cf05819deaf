/** Deliveries are retried for this long after their event, then given up. */
export const DELIVERY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** An endpoint whose attempts have all failed for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 24 * 60 * 60 * 1000;

export interface RetryPolicy {
  /** The delay before the first retry; each next one is `factor` times longer, up to `maxDelayMs`. */
  firstDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** ± this share of each delay, so that the retries of many deliveries do not arrive at once. */
  jitter: number;
}

/**
 * 10 s, 40 s, 2.7 min, 11 min, 43 min, 2.8 h, then every 6 h: about 11 attempts in the 24 h
 * window, most of them in the first hour (a receiver restarting), the last ones far apart (a
 * receiver down for the night).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { firstDelayMs: 10_000, factor: 4, maxDelayMs: 6 * 60 * 60 * 1000, jitter: 0.1 };

/**
 * When to try again after `attempts` failed automatic attempts of an event created at
 * `createdAt`, or null when the delivery window is over. The last retry is moved earlier to fall
 * inside the window rather than dropped.
 */
export function nextRetryAt(
  policy: RetryPolicy,
  attempts: number,
  createdAt: Date,
  now: Date,
  random: () => number = Math.random,
): Date | null {
  const end = createdAt.getTime() + DELIVERY_WINDOW_MS;
  if (now.getTime() >= end) return null;
  const base = Math.min(policy.firstDelayMs * policy.factor ** Math.max(attempts - 1, 0), policy.maxDelayMs);
  const delay = base * (1 + policy.jitter * (2 * random() - 1));
  return new Date(Math.min(now.getTime() + Math.max(delay, 0), end));
}
