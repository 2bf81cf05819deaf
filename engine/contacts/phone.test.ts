import { describe, expect, it } from 'vitest';
import { toE164 } from './phone.ts';

describe('when a phone number is written in international form', () => {
  it('keeps a clean E.164 number as it is', () => {
    expect(toE164('+15551234567')).toBe('+15551234567');
  });

  it('removes spaces, dashes, dots and parentheses', () => {
    expect(toE164(' +1 (555) 123-4567 ')).toBe('+15551234567');
    expect(toE164('+49.30.1234.5678')).toBe('+493012345678');
  });

  it('turns a leading 00 into +', () => {
    expect(toE164('0044 20 7946 0958')).toBe('+442079460958');
  });
});

describe('when a phone number cannot be made E.164', () => {
  it('returns null for a national number without a country code', () => {
    expect(toE164('555 123 4567')).toBeNull();
  });

  it('returns null for a country code starting with 0, too few or too many digits, or letters', () => {
    expect(toE164('+0123456789')).toBeNull();
    expect(toE164('+12345')).toBeNull();
    expect(toE164('+1234567890123456')).toBeNull();
    expect(toE164('+1555CALLNOW')).toBeNull();
    expect(toE164('')).toBeNull();
  });
});

describe('when a national number is read with a default country', () => {
  it('puts the country code in front of a valid local number', () => {
    expect(toE164('(11) 98765-4321', 'BR')).toBe('+5511987654321');
    expect(toE164('030 1234 5678', 'de')).toBe('+493012345678');
    expect(toE164('(201) 555-0123', 'US')).toBe('+12015550123');
  });

  it('keeps a number already in international form whatever the default country', () => {
    expect(toE164('+44 20 7946 0958', 'BR')).toBe('+442079460958');
  });

  it('returns null for a number that is not valid in that country, or an unknown country', () => {
    expect(toE164('12345', 'BR')).toBeNull();
    expect(toE164('98765-4321', 'ZZ')).toBeNull();
    expect(toE164('call me', 'US')).toBeNull();
  });
});
