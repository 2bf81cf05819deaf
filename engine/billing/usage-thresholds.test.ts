import { describe, expect, it } from 'vitest';
import { crossedThresholds, thresholdReached } from './usage-thresholds.ts';

describe('crossedThresholds', () => {
  it('names each threshold a change reaches, once', () => {
    expect(crossedThresholds(79, 80, 100)).toEqual([80]);
    expect(crossedThresholds(80, 81, 100)).toEqual([]);
    expect(crossedThresholds(50, 100, 100)).toEqual([80, 90, 100]);
    expect(crossedThresholds(89, 95, 100)).toEqual([90]);
  });

  it('names none without a limit or without a change', () => {
    expect(crossedThresholds(0, 10_000, null)).toEqual([]);
    expect(crossedThresholds(90, 90, 100)).toEqual([]);
  });

  it('works at small limits where a share is not a whole message', () => {
    // 80 % of 3 is 2.4: the third message reaches 80, 90 and 100 at once.
    expect(crossedThresholds(2, 3, 3)).toEqual([80, 90, 100]);
    expect(crossedThresholds(1, 2, 3)).toEqual([]);
  });
});

describe('thresholdReached', () => {
  it('answers the highest threshold reached', () => {
    expect(thresholdReached(79, 100)).toBeNull();
    expect(thresholdReached(85, 100)).toBe(80);
    expect(thresholdReached(90, 100)).toBe(90);
    expect(thresholdReached(120, 100)).toBe(100);
    expect(thresholdReached(5, null)).toBeNull();
  });
});
