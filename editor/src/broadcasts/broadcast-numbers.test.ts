import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastNumbers } from './broadcast-numbers.ts';

const stats = (byStatus: Record<string, number>) => ({
  total: Object.values(byStatus).reduce((a, b) => a + b, 0),
  byStatus: { pending: 0, sent: 0, delivered: 0, read: 0, failed: 0, skipped: 0, ...byStatus },
  skippedByReason: { opted_out: 0, restricted: 0, erased: 0, cancelled: 0, flow_inactive: 0 },
  optedOutAfter: 0,
  percentDone: 100,
  estimatedFinishAt: null,
});

describe('when a broadcast counts how far its messages got', () => {
  it('counts a read message as delivered and sent too', () => {
    expect(broadcastNumbers(stats({ sent: 2, delivered: 3, read: 5, failed: 1, skipped: 4, pending: 1 }))).toEqual({
      recipients: 16,
      sent: 10,
      delivered: 8,
      read: 5,
      failed: 1,
      skipped: 4,
      waiting: 1,
    });
  });

  it('keeps sent ≥ delivered ≥ read, and every recipient counted once across sent, failed, skipped and waiting', () => {
    const count = fc.nat({ max: 10_000 });
    fc.assert(
      fc.property(fc.record({ pending: count, sent: count, delivered: count, read: count, failed: count, skipped: count }), (byStatus) => {
        const n = broadcastNumbers(stats(byStatus));
        expect(n.sent).toBeGreaterThanOrEqual(n.delivered);
        expect(n.delivered).toBeGreaterThanOrEqual(n.read);
        expect(n.sent + n.failed + n.skipped + n.waiting).toBe(n.recipients);
      }),
    );
  });
});
