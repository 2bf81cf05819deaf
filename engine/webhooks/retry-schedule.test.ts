import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, DELIVERY_WINDOW_MS, nextRetryAt } from './retry-schedule.ts';

const noJitter = () => 0.5;

describe('nextRetryAt', () => {
  it('waits exponentially longer after each failed attempt, up to the cap', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map(
      (attempts) => nextRetryAt(DEFAULT_RETRY_POLICY, attempts, created, created, noJitter)!.getTime() - created.getTime(),
    );
    expect(delays.slice(0, 5)).toEqual([10_000, 40_000, 160_000, 640_000, 2_560_000]);
    expect(delays[6]).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
    expect(delays[7]).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('keeps the last retry inside the 24 h window and gives up after it', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    const late = new Date(created.getTime() + DELIVERY_WINDOW_MS - 60_000);
    expect(nextRetryAt(DEFAULT_RETRY_POLICY, 9, created, late, noJitter)!.getTime()).toBe(created.getTime() + DELIVERY_WINDOW_MS);
    expect(nextRetryAt(DEFAULT_RETRY_POLICY, 10, created, new Date(created.getTime() + DELIVERY_WINDOW_MS), noJitter)).toBeNull();
  });

  it('spreads retries by at most the jitter', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    const low = nextRetryAt(DEFAULT_RETRY_POLICY, 1, created, created, () => 0)!.getTime() - created.getTime();
    const high = nextRetryAt(DEFAULT_RETRY_POLICY, 1, created, created, () => 1)!.getTime() - created.getTime();
    expect(low).toBe(9_000);
    expect(high).toBe(11_000);
  });
});
