/**
 * A broadcast sends its recipients in batches, one batch job each. Paced, a batch holds about
 * `PACED_BATCH_SECONDS` of sending, and batch n is due `n × batch / pace` after the anchor, so
 * that a pause, a resume or a crash never sends faster than the pace. Unpaced, batches are all due
 * at once, and small enough that their statements never hold the CPU long: measured, 150 keeps
 * auto-replies under 200 ms p99 during a broadcast where 250 does not (platform/pipeline/send-worker.ts).
 */
export const UNPACED_BATCH_SIZE = 150;
export const PACED_BATCH_SECONDS = 10;

/** Recipients per batch for a pace in messages per minute (null: unpaced). */
export function batchSizeFor(pacePerMinute: number | null): number {
  if (pacePerMinute === null) return UNPACED_BATCH_SIZE;
  return Math.max(1, Math.min(UNPACED_BATCH_SIZE, Math.round((pacePerMinute * PACED_BATCH_SECONDS) / 60)));
}

/** The pace actually used: the broadcast's own, never faster than the channel's cap (null: no limit). */
export function effectivePace(pacePerMinute: number | null, channelCapPerMinute: number | null): number | null {
  if (pacePerMinute === null) return channelCapPerMinute;
  if (channelCapPerMinute === null) return pacePerMinute;
  return Math.min(pacePerMinute, channelCapPerMinute);
}

/** When batch `batch` is due: the anchor batch at the anchor instant, each later one a batch's worth of time after. */
export function batchDueAt(batch: number, anchor: { batch: number; at: Date }, batchSize: number, pacePerMinute: number | null): Date {
  if (pacePerMinute === null || batch <= anchor.batch) return anchor.at;
  const msPerBatch = (batchSize / pacePerMinute) * 60_000;
  return new Date(anchor.at.getTime() + Math.round((batch - anchor.batch) * msPerBatch));
}

/** When the pending recipients will have been sent at this pace, from `now`; null when unpaced and nothing is known. */
export function estimatedFinish(now: Date, pending: number, pacePerMinute: number | null, observedPerMinute: number | null): Date | null {
  const rate = pacePerMinute ?? observedPerMinute;
  if (pending === 0) return now;
  if (rate === null || rate <= 0) return null;
  return new Date(now.getTime() + Math.round((pending / rate) * 60_000));
}
