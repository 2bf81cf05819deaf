const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Normalises a phone number written by a person or a provider into E.164 ("+15551234567").
 * Accepts spaces, dashes, dots, parentheses and a leading 00; returns null when the result is
 * not a plausible E.164 number. It does not guess a country for national numbers.
 */
export function toE164(input: string): string | null {
  let digits = input.trim().replace(/[\s().-]/g, '');
  if (digits.startsWith('00')) digits = '+' + digits.slice(2);
  if (!digits.startsWith('+')) return null;
  return E164.test(digits) ? digits : null;
}
