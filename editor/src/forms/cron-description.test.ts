import { describe, expect, it } from 'vitest';
import { describeCron } from './cron-description.ts';

describe('cron in words', () => {
  it.each([
    ['0 9 * * 1-5', 'At 09:00, Monday to Friday'],
    ['30 18 * * *', 'At 18:30, every day'],
    ['*/15 * * * *', 'Every 15 minutes, every day'],
    ['0 8 1 * *', 'At 08:00, on day 1 of the month'],
    ['0 7 * 1,7 0', 'At 07:00, in January, July, Sunday'],
  ])('reads %s as "%s"', (cron, words) => {
    expect(describeCron(cron)).toEqual({ ok: true, text: words });
  });

  it("gives the engine's reason for an invalid expression", () => {
    expect(describeCron('0 9 * *')).toEqual({ ok: false, text: expect.stringContaining('5 fields') });
  });
});
