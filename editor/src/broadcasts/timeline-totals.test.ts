import { describe, expect, it } from 'vitest';
import { timelineTotals } from './timeline-totals.ts';

describe('when the delivery chart adds up a timeline', () => {
  it('starts at 0 and ends on the totals, in time order whatever the order of the buckets', () => {
    const points = timelineTotals(
      {
        bucketSeconds: 60,
        buckets: [
          { at: '2026-11-26T10:01:00.000Z', sent: 1, delivered: 2, read: 3, failed: 0 },
          { at: '2026-11-26T10:00:00.000Z', sent: 4, delivered: 2, read: 0, failed: 1 },
        ],
      },
      (ms) => new Date(ms).toISOString().slice(11, 16),
    );
    expect(points.map((p) => [p.time, p.sent, p.delivered, p.read, p.failed])).toEqual([
      ['10:00', 0, 0, 0, 0],
      ['10:01', 4, 2, 0, 1],
      ['10:02', 5, 4, 3, 1],
    ]);
  });

  it('has no point before anything was sent', () => {
    expect(timelineTotals({ bucketSeconds: 60, buckets: [] }, String)).toEqual([]);
  });
});
