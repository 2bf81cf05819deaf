import { describe, expect, it } from 'vitest';
import { pickAbBranch } from './ab-split.ts';

const config = {
  branches: [
    { id: 'a', label: 'A', weight: 30 },
    { id: 'off', label: 'Off', weight: 0 },
    { id: 'b', label: 'B', weight: 70 },
  ],
};

describe('when a run reaches an A/B split', () => {
  it('picks a branch in proportion to the weights from the injected number', () => {
    expect(pickAbBranch(config, 0)).toBe('a');
    expect(pickAbBranch(config, 0.2999)).toBe('a');
    expect(pickAbBranch(config, 0.3)).toBe('b');
    expect(pickAbBranch(config, 0.999999)).toBe('b');
  });

  it('never picks a branch of weight 0', () => {
    const picks = new Set(Array.from({ length: 1000 }, (_, i) => pickAbBranch(config, i / 1000)));
    expect(picks).toEqual(new Set(['a', 'b']));
  });

  it('splits a uniform sweep in the configured ratio', () => {
    const picks = Array.from({ length: 1000 }, (_, i) => pickAbBranch(config, i / 1000));
    expect(picks.filter((p) => p === 'a')).toHaveLength(300);
  });

  it('refuses a number outside [0, 1)', () => {
    expect(() => pickAbBranch(config, 1)).toThrow(RangeError);
    expect(() => pickAbBranch(config, Number.NaN)).toThrow('random must be in [0, 1), got NaN');
  });
});
