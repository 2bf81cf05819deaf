import type { BroadcastStats } from '../api/api-types.ts';

/**
 * The one way a broadcast's numbers are counted on every page (summary, cards, chart, table):
 * "reached at least". A recipient whose message was read was also delivered and sent, so
 * sent ≥ delivered ≥ read always holds, and none of them goes down when a report arrives. The
 * API's `byStatus` is each recipient's current status (exactly one each): the numbers below add
 * them up. The chart's running totals (GET /broadcasts/:id/timeline) count the same way and end on them.
 */
export interface BroadcastNumbers {
  recipients: number;
  /** Sent at least: sent, delivered or read now. */
  sent: number;
  /** Delivered at least: delivered or read now. */
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  /** Not sent yet (queued, waiting for pace or quiet hours). */
  waiting: number;
}

export function broadcastNumbers(stats: BroadcastStats): BroadcastNumbers {
  const n = (status: keyof BroadcastStats['byStatus']) => stats.byStatus[status] ?? 0;
  return {
    recipients: stats.total,
    sent: n('sent') + n('delivered') + n('read'),
    delivered: n('delivered') + n('read'),
    read: n('read'),
    failed: n('failed'),
    skipped: n('skipped'),
    waiting: n('pending'),
  };
}

/** The reached-at-least series, in order, with the words every page uses for them. */
export const REACHED_SERIES = [
  { key: 'sent', label: 'Sent', color: 'blue.7', hint: 'sent, delivered or read' },
  { key: 'delivered', label: 'Delivered', color: 'teal.8', hint: 'delivered or read' },
  { key: 'read', label: 'Read', color: 'grape.7', hint: 'read' },
  { key: 'failed', label: 'Failed', color: 'red.7', hint: 'could not be sent' },
] as const;

/** The sentence that says how the numbers count, shown beside them. */
export const REACHED_EXPLANATION =
  'Each number counts the recipients who reached at least that step: a read message was also delivered and sent.';

/** A share of the recipients, rounded down so that 100% means all ("37%"); "—" when there are none. */
export function percentOf(part: number, whole: number): string {
  return whole === 0 ? '—' : `${Math.floor((part / whole) * 100)}%`;
}

/** "25 sent · 24 delivered · 20 read · 1 failed · 4 skipped", for the list. */
export function shortNumbers(numbers: BroadcastNumbers): string {
  return `${numbers.sent} sent · ${numbers.delivered} delivered · ${numbers.read} read · ${numbers.failed} failed · ${numbers.skipped} skipped`;
}
