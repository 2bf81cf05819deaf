import type { BroadcastTimeline } from '../api/api-types.ts';

/** One point of the delivery chart: the running totals (reached at least) at the end of a bucket. */
export interface TimelinePoint {
  at: number;
  time: string;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
}

/**
 * The timeline's buckets as running totals, starting from 0 at the first bucket's start, so each
 * line climbs towards its final number (the same as the broadcast's "reached at least" numbers:
 * the API counts both the same way). Empty when nothing was sent yet.
 */
export function timelineTotals(timeline: BroadcastTimeline, formatTime: (ms: number) => string): TimelinePoint[] {
  const buckets = [...timeline.buckets].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (buckets.length === 0) return [];
  const bucketMs = timeline.bucketSeconds * 1000;
  const first = Date.parse(buckets[0]!.at);
  const points: TimelinePoint[] = [{ at: first, time: formatTime(first), sent: 0, delivered: 0, read: 0, failed: 0 }];
  const total = { sent: 0, delivered: 0, read: 0, failed: 0 };
  for (const b of buckets) {
    total.sent += b.sent;
    total.delivered += b.delivered;
    total.read += b.read;
    total.failed += b.failed;
    const at = Date.parse(b.at) + bucketMs;
    points.push({ at, time: formatTime(at), ...total });
  }
  return points;
}
