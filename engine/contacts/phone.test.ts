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
