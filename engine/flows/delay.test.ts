import { describe, expect, it } from 'vitest';
import { computeDelayDueAt } from './delay.ts';

const at = (iso: string) => new Date(iso);

describe('when a delay is a duration', () => {
  it('is due that long after now', () => {
    expect(
      computeDelayDueAt(
        { mode: 'duration', duration: { amount: 90, unit: 'minutes' } },
        { now: at('2025-01-01T10:00:00Z'), workspaceTimeZone: 'UTC' },
      ),
    ).toEqual(at('2025-01-01T11:30:00Z'));
  });
});

describe('when a delay waits until a time of day', () => {
  it('is due later today when the time has not come yet, in the workspace time zone', () => {
    const due = computeDelayDueAt(
      { mode: 'until_time', time: '09:00' },
      { now: at('2025-01-15T06:00:00Z'), workspaceTimeZone: 'Europe/Paris' },
    );
    expect(due).toEqual(at('2025-01-15T08:00:00Z'));
  });

  it('is due tomorrow when the time has passed or is exactly now', () => {
    const context = { now: at('2025-01-15T08:00:00Z'), workspaceTimeZone: 'Europe/Paris' };
    expect(computeDelayDueAt({ mode: 'until_time', time: '09:00' }, context)).toEqual(at('2025-01-16T08:00:00Z'));
  });

  it('uses the node time zone over the workspace one', () => {
    const due = computeDelayDueAt(
      { mode: 'until_time', time: '09:00', timezone: 'Asia/Tokyo' },
      { now: at('2025-01-15T06:00:00Z'), workspaceTimeZone: 'Europe/Paris' },
    );
    expect(due).toEqual(at('2025-01-16T00:00:00Z'));
  });
});

describe('when the clocks change for daylight saving', () => {
  it('keeps 09:00 local across the spring change (one hour less in UTC)', () => {
    // Saturday 2025-03-29 10:00 Paris (UTC+1) → Sunday 09:00 Paris is UTC+2 after the change at 02:00.
    const due = computeDelayDueAt(
      { mode: 'until_time', time: '09:00' },
      { now: at('2025-03-29T09:00:00Z'), workspaceTimeZone: 'Europe/Paris' },
    );
    expect(due).toEqual(at('2025-03-30T07:00:00Z'));
  });

  it('moves a time inside the spring-forward gap to after the gap', () => {
    // 02:30 does not exist in Paris on 2025-03-30; it resolves to 03:30 CEST = 01:30Z.
    const due = computeDelayDueAt(
      { mode: 'until_time', time: '02:30' },
      { now: at('2025-03-29T12:00:00Z'), workspaceTimeZone: 'Europe/Paris' },
    );
    expect(due).toEqual(at('2025-03-30T01:30:00Z'));
  });

  it('takes the first occurrence of a time repeated by the fall-back change, then the second one', () => {
    // 01:30 happens twice in New York on 2025-11-02: at 05:30Z (EDT) and 06:30Z (EST).
    const context = (now: string) => ({ now: at(now), workspaceTimeZone: 'America/New_York' });
    expect(computeDelayDueAt({ mode: 'until_time', time: '01:30' }, context('2025-11-02T04:00:00Z'))).toEqual(at('2025-11-02T05:30:00Z'));
    expect(computeDelayDueAt({ mode: 'until_time', time: '01:30' }, context('2025-11-02T05:45:00Z'))).toEqual(at('2025-11-02T06:30:00Z'));
  });
});
