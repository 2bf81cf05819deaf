import { describe, expect, it } from 'vitest';
import { LIVE_POLL_MS, pollIntervalMs, SETTLING_POLL_MS, STATUS_SETTLE_MS } from './broadcast-polling.ts';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const endedAgo = (ms: number) => new Date(NOW - ms).toISOString();

describe('how often the detail page refreshes a broadcast', () => {
  it('polls every second while it is scheduled, running or paused', () => {
    for (const state of ['scheduled', 'running', 'paused'] as const)
      expect(pollIntervalMs({ state, finishedAt: null }, NOW)).toBe(LIVE_POLL_MS);
  });

  it('does not poll a draft', () => {
    expect(pollIntervalMs({ state: 'draft', finishedAt: null }, NOW)).toBeNull();
  });

  it('keeps asking, less often, just after it ends, because deliveries and reads are reported later', () => {
    expect(pollIntervalMs({ state: 'completed', finishedAt: endedAgo(30_000) }, NOW)).toBe(SETTLING_POLL_MS);
  });

  it('stops once its late reports have had time to arrive', () => {
    expect(pollIntervalMs({ state: 'completed', finishedAt: endedAgo(STATUS_SETTLE_MS + 1) }, NOW)).toBeNull();
    expect(pollIntervalMs({ state: 'cancelled', finishedAt: null }, NOW)).toBeNull();
  });
});
