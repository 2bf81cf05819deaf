import { describe, expect, it } from 'vitest';
import { niceCeiling, pathOf, scaleTimeline } from './timeline-scale.ts';

const BOX = { width: 300, height: 100 };
const bucket = (at: string, sent: number, delivered: number, read: number, failed = 0) => ({ at, sent, delivered, read, failed });

describe('the delivery chart scale', () => {
  it('has no chart before the first bucket', () => {
    expect(scaleTimeline({ bucketSeconds: 60, buckets: [] }, BOX)).toBeNull();
  });

  it('draws running totals from 0 at the first bucket start to each bucket end, and ends the y axis on a nice number', () => {
    const chart = scaleTimeline(
      {
        bucketSeconds: 60,
        buckets: [bucket('2026-11-26T10:01:00.000Z', 30, 10, 0), bucket('2026-11-26T10:00:00.000Z', 40, 20, 5)],
      },
      BOX,
    )!;
    expect(chart.totals).toEqual({ sent: 70, delivered: 30, read: 5, failed: 0 });
    // Sorted by time; y max is 100 (the nice ceiling of 70), so 40 sent at 10:01 is 40% up from the bottom.
    expect(chart.lines.sent).toEqual([
      { x: 0, y: 100 },
      { x: 150, y: 60 },
      { x: 300, y: 30 },
    ]);
    expect(chart.yTicks.map((t) => t.value)).toEqual([0, 25, 50, 75, 100]);
    expect(chart.endMs - chart.startMs).toBe(120_000);
  });

  it('gives a single bucket a line from its start to its end', () => {
    const chart = scaleTimeline({ bucketSeconds: 3600, buckets: [bucket('2026-11-26T10:00:00.000Z', 3, 3, 1)] }, BOX)!;
    expect(chart.lines.read).toEqual([
      { x: 0, y: 100 },
      { x: 300, y: 80 },
    ]);
    // A maximum of 5 gives whole-count ticks only: no 1.25 or 3.75.
    expect(chart.yTicks.map((t) => t.value)).toEqual([0, 5]);
  });

  it('rounds axis maxima up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 250, 50_001].map(niceCeiling)).toEqual([1, 1, 5, 10, 10, 20, 500, 100_000]);
  });

  it('writes an SVG path with a move then lines', () => {
    expect(pathOf([{ x: 0, y: 100 }, { x: 12.345, y: 3 }])).toBe('M0,100 L12.3,3');
  });
});
