import { describe, expect, it } from 'vitest';
import { audiencePhones } from './audience-phones.ts';

describe('audiencePhones', () => {
  it('normalises a list and drops repeats', () => {
    expect(audiencePhones({ kind: 'phones', phones: ['+1 555 000 1111', '0015550001111', '+33 6 12 34 56 78'] })).toEqual({
      phones: ['+15550001111', '+33612345678'],
      problems: [],
    });
  });

  it('names each entry that is not a phone', () => {
    const { problems } = audiencePhones({ kind: 'phones', phones: ['+15550001111', '555-1234'] });
    expect(problems).toEqual([
      { code: 'phone_invalid', message: expect.stringContaining('entry 2: "555-1234"'), path: 'audience.phones.1' },
    ]);
  });

  it('reads the "phone" column of a CSV with a header, quotes included', () => {
    const csv = 'name,Phone\n"Doe, Jane",+15550001111\n\nBob,+15550002222\n';
    expect(audiencePhones({ kind: 'csv', csv })).toEqual({ phones: ['+15550001111', '+15550002222'], problems: [] });
  });

  it('reads the first column of a CSV without a header, and reports bad lines by number', () => {
    const { phones, problems } = audiencePhones({ kind: 'csv', csv: '+15550001111,vip\nnot a phone,x\n' });
    expect(phones).toEqual(['+15550001111']);
    expect(problems[0]!.message).toContain('line 2');
  });

  it('refuses a CSV whose header has no phone column', () => {
    expect(audiencePhones({ kind: 'csv', csv: 'name,email\nJane,j@x.org\n' }).problems[0]!.code).toBe('csv_invalid');
  });
});
