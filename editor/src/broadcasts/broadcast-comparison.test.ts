import { describe, expect, it } from 'vitest';
import type { BroadcastComparisonItem } from '../api/api-types.ts';
import { comparisonRow, shownShare, sortRows } from './broadcast-comparison.ts';
import { percentOf } from './broadcast-numbers.ts';

function item(
  name: string,
  startedAt: string,
  byStatus: Record<string, number>,
  rates: { replyRate: number | null; optOutRate: number | null },
): BroadcastComparisonItem {
  const full = { pending: 0, sent: 0, delivered: 0, read: 0, failed: 0, skipped: 0, ...byStatus };
  return {
    id: `00000000-0000-7000-8000-00000000000${name.length}`,
    name,
    parentId: null,
    state: 'completed',
    audienceKind: 'segment',
    contentKind: 'message',
    startedAt,
    finishedAt: startedAt,
    stats: {
      total: Object.values(full).reduce((a, b) => a + b, 0),
      byStatus: full,
      skippedByReason: { opted_out: 0, restricted: 0, erased: 0, cancelled: 0, flow_inactive: 0 },
      optedOutAfter: 0,
      percentDone: 100,
      estimatedFinishAt: null,
    },
    engagement: { delivered: full.delivered + full.read, replied: 0, optedOut: 0, ...rates },
  };
}

const rows = [
  comparisonRow(item('Spring', '2026-12-04T09:00:00.000Z', { delivered: 2, read: 2 }, { replyRate: 0.5, optOutRate: 0.25 })),
  comparisonRow(item('Winter!', '2026-12-01T09:00:00.000Z', { delivered: 2, sent: 1 }, { replyRate: 1, optOutRate: 0 })),
  comparisonRow(item('Flow', '2026-12-05T09:00:00.000Z', { sent: 3 }, { replyRate: null, optOutRate: null })),
];

describe('when recent broadcasts are compared', () => {
  it('counts delivered and read as shares of the recipients, reached at least, as the cards do', () => {
    const spring = rows[0]!;
    expect(spring).toMatchObject({ recipients: 4, sent: 4, deliveredShare: 1, readShare: 0.5, audience: 'Segment' });
    expect(shownShare(rows[1]!.deliveredShare)).toBe(percentOf(2, 3));
    expect(shownShare(rows[1]!.deliveredShare)).toBe('66%');
  });

  it('sorts by a rate, highest first, a broadcast with no rate last either way', () => {
    expect(sortRows(rows, { column: 'replyRate', descending: true }).map((r) => r.name)).toEqual(['Winter!', 'Spring', 'Flow']);
    expect(sortRows(rows, { column: 'replyRate', descending: false }).map((r) => r.name)).toEqual(['Spring', 'Winter!', 'Flow']);
  });

  it('sorts by name and by the time it was sent', () => {
    expect(sortRows(rows, { column: 'name', descending: false }).map((r) => r.name)).toEqual(['Flow', 'Spring', 'Winter!']);
    expect(sortRows(rows, { column: 'startedAt', descending: true }).map((r) => r.name)).toEqual(['Flow', 'Spring', 'Winter!']);
  });

  it('shows a share of nothing as a dash', () => {
    expect(shownShare(null)).toBe('—');
    expect(shownShare(1 / 6)).toBe('16%');
  });
});
