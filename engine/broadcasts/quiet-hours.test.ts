import { describe, expect, it } from 'vitest';
import { quietUntil } from './quiet-hours.ts';

const night = { start: '21:00', end: '08:00' };
const lunch = { start: '12:00', end: '14:00' };

describe('quietUntil', () => {
  describe('when the window crosses midnight', () => {
    it('holds a message sent late in the evening until the next morning', () => {
      expect(quietUntil(new Date('2026-03-10T22:30:00Z'), night, 'UTC')?.toISOString()).toBe('2026-03-11T08:00:00.000Z');
    });

    it('holds a message sent in the small hours until the same morning', () => {
      expect(quietUntil(new Date('2026-03-10T03:00:00Z'), night, 'UTC')?.toISOString()).toBe('2026-03-10T08:00:00.000Z');
    });

    it('lets a message go during the day', () => {
      expect(quietUntil(new Date('2026-03-10T12:00:00Z'), night, 'UTC')).toBeNull();
    });

    it('lets a message go exactly when the window ends', () => {
      expect(quietUntil(new Date('2026-03-10T08:00:00Z'), night, 'UTC')).toBeNull();
    });
  });

  describe('when the window is within one day', () => {
    it('holds a message until the window ends', () => {
      expect(quietUntil(new Date('2026-03-10T12:59:00Z'), lunch, 'UTC')?.toISOString()).toBe('2026-03-10T14:00:00.000Z');
    });

    it('lets a message go before the window starts', () => {
      expect(quietUntil(new Date('2026-03-10T11:59:00Z'), lunch, 'UTC')).toBeNull();
    });
  });

  describe('in a time zone other than UTC', () => {
    it("reads the window on that zone's wall clock", () => {
      // 20:30 UTC is 21:30 in Paris (winter, UTC+1): quiet until 08:00 Paris = 07:00 UTC.
      expect(quietUntil(new Date('2026-01-15T20:30:00Z'), night, 'Europe/Paris')?.toISOString()).toBe('2026-01-16T07:00:00.000Z');
      // 20:30 UTC is 15:30 in New York: not quiet.
      expect(quietUntil(new Date('2026-01-15T20:30:00Z'), night, 'America/New_York')).toBeNull();
    });

    it('ends the window at the right instant across a daylight-saving change', () => {
      // Paris moves to summer time on 2026-03-29 at 02:00; 08:00 that morning is 06:00 UTC.
      expect(quietUntil(new Date('2026-03-28T22:00:00Z'), night, 'Europe/Paris')?.toISOString()).toBe('2026-03-29T06:00:00.000Z');
    });
  });
});
