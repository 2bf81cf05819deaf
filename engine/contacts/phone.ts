import { parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/min';

const E164 = /^\+[1-9]\d{6,14}$/;
/** What a person may write around the digits: spaces, dashes, dots, parentheses. */
const SEPARATORS = /[\s().-]/g;

/**
 * Normalises a phone number written by a person or a provider into E.164 ("+15551234567").
 * Accepts spaces, dashes, dots, parentheses and a leading 00; returns null when the result is
 * not a plausible E.164 number. A national number ("(11) 98765-4321") is read in
 * `defaultCountry` (ISO 3166 alpha-2, "BR") when one is given, and must then be a valid number
 * of that country; without one it is refused, for no country is guessed.
 */
export function toE164(input: string, defaultCountry?: string): string | null {
  let digits = input.trim().replace(SEPARATORS, '');
  if (digits.startsWith('00')) digits = '+' + digits.slice(2);
  if (digits.startsWith('+')) return E164.test(digits) ? digits : null;
  if (!defaultCountry || !/^\d{4,17}$/.test(digits)) return null;
  try {
    const parsed = parsePhoneNumberWithError(digits, defaultCountry.toUpperCase() as CountryCode);
    return parsed.isValid() && E164.test(parsed.number) ? parsed.number : null;
  } catch {
    // An unknown country or digits libphonenumber cannot read: not a number of that country.
    return null;
  }
}
