import { performance } from 'node:perf_hooks';
import type { ReplyCounter } from './reply-counter.ts';

/** Hands message number `i` of a phase to the inbound pipeline; resolves when it is accepted. */
export type SendOne = (i: number) => Promise<void>;

export interface LoadResult {
  /** Bench-side duration of each `accept` call (validation, store, commit, drain job enqueued), ms. */
  acceptMs: number[];
  /** Wall time from the first accept call to the last reply counted, ms (bench clock). */
  wallMs: number;
}

/** No reply for this long means the product is stuck: the bench fails rather than hang. */
const STALL_MS = 30_000;

/**
 * Closed loop: `concurrency` messages in flight at all times. A message is in flight from its
 * accept until a reply is sent; each reply lets the next message in.
 */
export async function closedLoop(opts: { total: number; concurrency: number; send: SendOne; replies: ReplyCounter }): Promise<LoadResult> {
  const { total, concurrency, send, replies } = opts;
  const acceptMs: number[] = [];
  const base = replies.count;
  const started = performance.now();
  let issued = 0;
  let failure: unknown = null;
  const issue = () => {
    const i = issued++;
    const t0 = performance.now();
    send(i).then(
      () => acceptMs.push(performance.now() - t0),
      (err: unknown) => (failure ??= err),
    );
  };
  const off = replies.onReply((sent) => {
    for (let k = 0; k < sent && issued < total; k++) issue();
  });
  try {
    for (let k = 0; k < Math.min(concurrency, total); k++) issue();
    await replies.waitFor(base + total, STALL_MS);
  } finally {
    off();
  }
  if (failure) throw failure;
  return { acceptMs, wallMs: performance.now() - started };
}

/**
 * Open loop: message k is handed over at `k / ratePerS` seconds whatever happened to the ones
 * before (a slow product does not slow the arrivals), then the bench waits for every reply.
 */
export async function openLoop(opts: {
  ratePerS: number;
  durationS: number;
  send: SendOne;
  replies: ReplyCounter;
}): Promise<LoadResult & { lateArrivalsMs: number }> {
  const { ratePerS, durationS, send, replies } = opts;
  const total = Math.round(ratePerS * durationS);
  const acceptMs: number[] = [];
  const base = replies.count;
  const started = performance.now();
  let next = 0;
  let failure: unknown = null;
  // How far behind schedule the bench itself handed messages over (its own event loop lag).
  let lateArrivalsMs = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) * ratePerS) / 1000) + 1);
      while (next < due) {
        lateArrivalsMs = Math.max(lateArrivalsMs, now - (started + (next * 1000) / ratePerS));
        const t0 = performance.now();
        send(next++).then(
          () => acceptMs.push(performance.now() - t0),
          (err: unknown) => (failure ??= err),
        );
      }
      if (next < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await replies.waitFor(base + total, STALL_MS);
  if (failure) throw failure;
  return { acceptMs, wallMs: performance.now() - started, lateArrivalsMs };
}
