import type { BroadcastTimeline } from '../api/api-types.ts';

/** The series the delivery chart draws, in the order of its legend. */
export const TIMELINE_SERIES = ['sent', 'delivered', 'read', 'failed'] as const;
export type TimelineSeries = (typeof TIMELINE_SERIES)[number];

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartTick {
  value: number;
  /** Position on its axis, in the chart's pixels. */
  at: number;
}

export interface TimelineChart {
  /** Per series, its running total at the start and at the end of each bucket, in pixels. */
  lines: Record<TimelineSeries, ChartPoint[]>;
  /** The running totals at the end of the timeline. */
  totals: Record<TimelineSeries, number>;
  yTicks: ChartTick[];
  /** The first and last instant on the x axis, in epoch milliseconds. */
  startMs: number;
  endMs: number;
}

export interface ChartBox {
  width: number;
  height: number;
}

/**
 * The smallest "nice" number (1, 2 or 5 times a power of ten) at or above `value`, so that the
 * y axis ends on a round count. 1 for anything up to 1, so an empty chart still has an axis.
 */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** Ticks on the y axis: 0, a quarter, half, three quarters and all of the axis' maximum, whole counts only. */
function yTicksOf(max: number, height: number): ChartTick[] {
  const values = new Set([0, max / 4, max / 2, (3 * max) / 4, max].filter(Number.isInteger));
  return [...values].map((value) => ({ value, at: height - (value / max) * height }));
}

/**
 * The chart of a timeline in a `box` of pixels (y grows downwards): each series as its running
 * total over time, so delivered and read climb towards sent as the channel reports them. Each
 * line starts at 0 at the first bucket's start and has a point at the end of every bucket.
 * Null when the timeline has no bucket (nothing sent yet).
 */
export function scaleTimeline(timeline: BroadcastTimeline, box: ChartBox): TimelineChart | null {
  const buckets = [...timeline.buckets].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (buckets.length === 0) return null;
  const bucketMs = timeline.bucketSeconds * 1000;
  const startMs = Date.parse(buckets[0]!.at);
  const endMs = Date.parse(buckets.at(-1)!.at) + bucketMs;
  const totals: Record<TimelineSeries, number> = { sent: 0, delivered: 0, read: 0, failed: 0 };
  const running: Record<TimelineSeries, { atMs: number; total: number }[]> = { sent: [], delivered: [], read: [], failed: [] };
  for (const series of TIMELINE_SERIES) running[series].push({ atMs: startMs, total: 0 });
  for (const bucket of buckets) {
    for (const series of TIMELINE_SERIES) {
      totals[series] += bucket[series];
      running[series].push({ atMs: Date.parse(bucket.at) + bucketMs, total: totals[series] });
    }
  }
  const yMax = niceCeiling(Math.max(...TIMELINE_SERIES.map((s) => totals[s])));
  const x = (atMs: number) => ((atMs - startMs) / (endMs - startMs)) * box.width;
  const y = (count: number) => box.height - (count / yMax) * box.height;
  const lines = Object.fromEntries(TIMELINE_SERIES.map((s) => [s, running[s].map((p) => ({ x: x(p.atMs), y: y(p.total) }))])) as Record<TimelineSeries, ChartPoint[]>;
  return { lines, totals, yTicks: yTicksOf(yMax, box.height), startMs, endMs };
}

/** An SVG path through the points, rounded to tenths of a pixel. */
export function pathOf(points: readonly ChartPoint[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)},${round(p.y)}`).join(' ');
}

const round = (n: number) => Math.round(n * 10) / 10;
