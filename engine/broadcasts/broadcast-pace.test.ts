import { describe, expect, it } from 'vitest';
import { batchDueAt, batchSizeFor, effectivePace, estimatedFinish, UNPACED_BATCH_SIZE } from './broadcast-pace.ts';

describe('batchSizeFor', () => {
  it('gives unpaced broadcasts the largest batch', () => {
    expect(batchSizeFor(null)).toBe(UNPACED_BATCH_SIZE);
  });

  it('gives a paced broadcast about ten seconds of sending per batch, at least one message', () => {
    expect(batchSizeFor(60)).toBe(10);
    expect(batchSizeFor(1)).toBe(1);
    expect(batchSizeFor(60_000)).toBe(UNPACED_BATCH_SIZE);
  });
});

describe('effectivePace', () => {
  it('never goes faster than the channel allows', () => {
    expect(effectivePace(600, 20)).toBe(20);
    expect(effectivePace(10, 20)).toBe(10);
    expect(effectivePace(null, 20)).toBe(20);
    expect(effectivePace(null, null)).toBeNull();
  });
});

describe('batchDueAt', () => {
  const anchor = { batch: 3, at: new Date('2026-05-01T10:00:00Z') };

  it('makes each later batch due one batch of time after the previous one', () => {
    // 10 per batch at 60 per minute: 10 s per batch.
    expect(batchDueAt(5, anchor, 10, 60).toISOString()).toBe('2026-05-01T10:00:20.000Z');
  });

  it('makes the anchor batch and earlier ones due at the anchor', () => {
    expect(batchDueAt(1, anchor, 10, 60)).toEqual(anchor.at);
  });

  it('makes every batch due at once when unpaced', () => {
    expect(batchDueAt(50, anchor, 500, null)).toEqual(anchor.at);
  });
});

describe('estimatedFinish', () => {
  const now = new Date('2026-05-01T10:00:00Z');

  it('divides what is pending by the pace', () => {
    expect(estimatedFinish(now, 120, 60, null)?.toISOString()).toBe('2026-05-01T10:02:00.000Z');
  });

  it('uses the observed rate when unpaced, and says nothing without one', () => {
    expect(estimatedFinish(now, 600, null, 600)?.toISOString()).toBe('2026-05-01T10:01:00.000Z');
    expect(estimatedFinish(now, 600, null, null)).toBeNull();
  });
});
