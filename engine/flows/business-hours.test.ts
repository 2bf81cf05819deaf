import { describe, expect, it } from 'vitest';
import { isOpenAt, nextOpeningAt } from './business-hours.ts';
import { WeeklyHoursSchema } from './nodes/business-hours.node.ts';

const NINE_TO_FIVE = [{ from: '09:00', to: '17:00' }];
const hours = WeeklyHoursSchema.parse({
  monday: NINE_TO_FIVE,
  tuesday: NINE_TO_FIVE,
  wednesday: NINE_TO_FIVE,
  thursday: NINE_TO_FIVE,
  friday: NINE_TO_FIVE,
  saturday: [
    { from: '10:00', to: '12:00' },
    { from: '22:00', to: '24:00' },
  ],
});

describe('when opening hours are checked in a time zone', () => {
  it('is open from the start of an interval until just before its end', () => {
    // Wednesday 2025-01-15; Paris is UTC+1 in winter.
    expect(isOpenAt(hours, new Date('2025-01-15T07:59:00Z'), 'Europe/Paris')).toBe(false);
    expect(isOpenAt(hours, new Date('2025-01-15T08:00:00Z'), 'Europe/Paris')).toBe(true);
    expect(isOpenAt(hours, new Date('2025-01-15T15:59:00Z'), 'Europe/Paris')).toBe(true);
    expect(isOpenAt(hours, new Date('2025-01-15T16:00:00Z'), 'Europe/Paris')).toBe(false);
  });

  it('uses the local weekday, not the UTC one', () => {
    // 2025-01-18 is a Saturday: New York opens at 10:00 local (15:00Z); at 14:00Z it is Friday 23:00 in Tokyo.
    expect(isOpenAt(hours, new Date('2025-01-18T14:00:00Z'), 'America/New_York')).toBe(false); // Sat 09:00
    expect(isOpenAt(hours, new Date('2025-01-18T15:00:00Z'), 'America/New_York')).toBe(true); // Sat 10:00
    expect(isOpenAt(hours, new Date('2025-01-17T14:00:00Z'), 'Asia/Tokyo')).toBe(false); // Fri 23:00
  });

  it('handles an interval that runs to midnight', () => {
    expect(isOpenAt(hours, new Date('2025-01-18T23:59:00Z'), 'UTC')).toBe(true); // Sat 23:59
    expect(isOpenAt(hours, new Date('2025-01-19T00:00:00Z'), 'UTC')).toBe(false); // Sun 00:00
  });
});

describe('when the clocks change for daylight saving', () => {
  it('opens at 09:00 local time on both sides of the spring change in Paris', () => {
    // Friday 2025-03-28 (UTC+1) and Monday 2025-03-31 (UTC+2, after the change on Sunday the 30th).
    expect(isOpenAt(hours, new Date('2025-03-28T08:00:00Z'), 'Europe/Paris')).toBe(true);
    expect(isOpenAt(hours, new Date('2025-03-31T07:00:00Z'), 'Europe/Paris')).toBe(true);
    expect(isOpenAt(hours, new Date('2025-03-31T06:59:00Z'), 'Europe/Paris')).toBe(false);
  });

  it('closes at 17:00 local time on both sides of the autumn change in New York', () => {
    // Friday 2025-10-31 is UTC-4; Monday 2025-11-03 is UTC-5 (change on Sunday the 2nd).
    expect(isOpenAt(hours, new Date('2025-10-31T20:59:00Z'), 'America/New_York')).toBe(true);
    expect(isOpenAt(hours, new Date('2025-10-31T21:00:00Z'), 'America/New_York')).toBe(false);
    expect(isOpenAt(hours, new Date('2025-11-03T21:59:00Z'), 'America/New_York')).toBe(true);
    expect(isOpenAt(hours, new Date('2025-11-03T22:00:00Z'), 'America/New_York')).toBe(false);
  });
});

describe('when the next opening is looked for', () => {
  it('is now while open, else the start of the next interval in the time zone', () => {
    // Wednesday 2025-01-15 in Paris (UTC+1): open 09:00–17:00.
    expect(nextOpeningAt(hours, new Date('2025-01-15T10:00:00Z'), 'Europe/Paris')).toEqual(new Date('2025-01-15T10:00:00Z'));
    expect(nextOpeningAt(hours, new Date('2025-01-15T06:00:00Z'), 'Europe/Paris')).toEqual(new Date('2025-01-15T08:00:00Z'));
    // Wednesday 18:00: Thursday 09:00.
    expect(nextOpeningAt(hours, new Date('2025-01-15T17:00:00Z'), 'Europe/Paris')).toEqual(new Date('2025-01-16T08:00:00Z'));
  });

  it('skips closed days and takes the later interval of a split day', () => {
    // Saturday 2025-01-18 at 13:00 UTC: after 10–12, before 22–24.
    expect(nextOpeningAt(hours, new Date('2025-01-18T13:00:00Z'), 'UTC')).toEqual(new Date('2025-01-18T22:00:00Z'));
    // Sunday: closed; Monday 09:00.
    expect(nextOpeningAt(hours, new Date('2025-01-19T08:00:00Z'), 'UTC')).toEqual(new Date('2025-01-20T09:00:00Z'));
  });

  it('is null when the hours are never open', () => {
    expect(nextOpeningAt(WeeklyHoursSchema.parse({}), new Date('2025-01-15T10:00:00Z'), 'UTC')).toBeNull();
  });
});
