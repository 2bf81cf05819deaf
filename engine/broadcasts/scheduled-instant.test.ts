import { describe, expect, it } from 'vitest';
import { scheduledInstant } from './scheduled-instant.ts';

describe('scheduledInstant', () => {
  const now = new Date('2026-06-01T12:00:00Z');

  it('starts a "now" schedule now', () => {
    expect(scheduledInstant({ kind: 'now' }, now)).toEqual(now);
  });

  it('reads a local time in its time zone', () => {
    // 09:30 in New York in summer is 13:30 UTC.
    expect(scheduledInstant({ kind: 'at', localTime: '2026-06-02T09:30', timezone: 'America/New_York' }, now).toISOString()).toBe(
      '2026-06-02T13:30:00.000Z',
    );
  });
});
