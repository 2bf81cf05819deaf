import { describe, expect, it } from 'vitest';
import { scrubSecrets, secretMarker } from './secret-scrub.ts';

const VALUE = 'sk_live_Zx9/Qw8+Er7"Ty6';
const secrets = new Map([['STRIPE_KEY', VALUE]]);

describe('when a step keeps text that holds a resolved secret', () => {
  it('replaces the value wherever it appears in strings and keys, at any depth', () => {
    const echoed = { headers: { authorization: `Bearer ${VALUE}` }, list: [`x${VALUE}y`], [VALUE]: 1, n: 5, ok: true, none: null };
    expect(scrubSecrets(echoed, secrets)).toEqual({
      headers: { authorization: 'Bearer [secret STRIPE_KEY]' },
      list: ['x[secret STRIPE_KEY]y'],
      '[secret STRIPE_KEY]': 1,
      n: 5,
      ok: true,
      none: null,
    });
  });

  it('replaces its URL-encoded, JSON-escaped and base64 forms too', () => {
    const forms = [encodeURIComponent(VALUE), JSON.stringify(VALUE).slice(1, -1), Buffer.from(VALUE).toString('base64')];
    const scrubbed = scrubSecrets({ error: `refused https://x.example/?k=${forms[0]} raw ${forms[1]} b64 ${forms[2]}` }, secrets);
    expect(scrubbed.error).toBe(
      `refused https://x.example/?k=${secretMarker('STRIPE_KEY')} raw ${secretMarker('STRIPE_KEY')} b64 ${secretMarker('STRIPE_KEY')}`,
    );
    for (const form of forms) expect(JSON.stringify(scrubbed)).not.toContain(form);
  });

  it('replaces a value containing another secret whole, naming the longer one', () => {
    const both = new Map([
      ['SHORT', 'abcdefgh'],
      ['LONG', 'abcdefgh-ijklmnop'],
    ]);
    expect(scrubSecrets('abcdefgh-ijklmnop and abcdefgh', both)).toBe('[secret LONG] and [secret SHORT]');
  });

  it('returns the value as it is when no secret was resolved', () => {
    const value = { a: 'text' };
    expect(scrubSecrets(value, new Map())).toBe(value);
  });
});
