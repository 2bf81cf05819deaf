import { describe, expect, it } from 'vitest';
import { cronError } from './cron.ts';

describe('when a schedule trigger has a cron expression', () => {
  it('accepts the usual five-field forms', () => {
    for (const cron of ['0 9 * * 1-5', '*/15 * * * *', '0 0 1 jan,jul ?', '30 8 * * MON-FRI', '0 12 * * 7'])
      expect(cronError(cron), cron).toBeNull();
  });

  it('refuses a wrong field count, values out of range and backwards ranges', () => {
    expect(cronError('* * * * * *')).toBe('a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has 6');
    expect(cronError('60 * * * *')).toBe('"60" is outside the minute range 0-59');
    expect(cronError('0 17-9 * * *')).toBe('"17-9" is a range that runs backwards');
    expect(cronError('0 9 * * FUN')).toBe('"FUN" is outside the day of week range 0-7');
    expect(cronError('*/0 * * * *')).toBe('"0" is not a valid step for the minute');
  });
});
