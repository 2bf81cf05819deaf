import { describe, expect, it } from 'vitest';
import { containsSecrets, MAX_REDACT_DEPTH, REDACTED, redactSecrets } from './redact.ts';

/** `leaf` nested under `depth` objects: { d: { d: … leaf } }. */
function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

/** The value found by walking `depth` levels of `d`. */
function dig(value: unknown, depth: number): unknown {
  let at = value;
  for (let i = 0; i < depth; i++) at = (at as { d: unknown }).d;
  return at;
}

describe('when a step record holds secrets', () => {
  it('replaces the values of secret-looking keys, whatever they hold', () => {
    const redacted = redactSecrets({
      apiKey: 'k',
      api_key: 'k',
      Authorization: 'Bearer x',
      passwd: 'p',
      password: 'p',
      sessionToken: 't',
      cookie: 'c',
      signature: 's',
      clientSecret: { nested: 'x' },
      plan: 'pro',
    });
    expect(redacted).toEqual({
      apiKey: REDACTED,
      api_key: REDACTED,
      Authorization: REDACTED,
      passwd: REDACTED,
      password: REDACTED,
      sessionToken: REDACTED,
      cookie: REDACTED,
      signature: REDACTED,
      clientSecret: REDACTED,
      plan: 'pro',
    });
  });

  it('replaces the value of a { name, value } header whose name looks secret, and only that one', () => {
    expect(
      redactSecrets({
        headers: [
          { name: 'X-Api-Key', value: 'k' },
          { name: 'Accept', value: 'json' },
        ],
      }),
    ).toEqual({
      headers: [
        { name: 'X-Api-Key', value: REDACTED },
        { name: 'Accept', value: 'json' },
      ],
    });
  });

  // The write-time copy stopped walking at depth 20 and kept what lay below as it was: a token at depth 25 was stored.
  it('redacts a secret at depth 25', () => {
    const redacted = redactSecrets(nested(25, { token: 'tok-25', plan: 'pro' }));
    expect(dig(redacted, 25)).toEqual({ token: REDACTED, plan: 'pro' });
    expect(JSON.stringify(redacted)).not.toContain('tok-25');
  });

  it(`replaces whatever lies deeper than ${MAX_REDACT_DEPTH} levels whole, secret or not`, () => {
    const redacted = redactSecrets(nested(MAX_REDACT_DEPTH + 8, { token: 'deep', plan: 'pro' }));
    expect(dig(redacted, MAX_REDACT_DEPTH)).toBe(REDACTED);
    expect(JSON.stringify(redacted)).not.toContain('deep');
  });

  it('keeps a __proto__ key as data, never as the prototype of the copy', () => {
    const redacted = redactSecrets(JSON.parse('{"__proto__": {"token": "t", "x": 1}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(redacted, '__proto__')?.value).toEqual({ token: REDACTED, x: 1 });
  });

  it('leaves scalars and a record without secrets as they are', () => {
    expect(redactSecrets('text')).toBe('text');
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets({ a: [1, { b: 'c' }] })).toEqual({ a: [1, { b: 'c' }] });
  });
});

describe('when asked whether a value holds secrets without copying it', () => {
  it('answers as redactSecrets would change the value', () => {
    const values: unknown[] = [
      'text',
      null,
      { a: [1, { b: 'c' }] },
      { a: { b: { sessionToken: 't' } } },
      { headers: [{ name: 'Cookie', value: 'c' }] },
      { headers: [{ name: 'Accept', value: 'json' }] },
      JSON.parse('{"__proto__": {"token": "t"}}'),
      nested(MAX_REDACT_DEPTH + 1, 'plain'),
      nested(MAX_REDACT_DEPTH - 1, 'plain'),
    ];
    for (const value of values)
      expect(containsSecrets(value), JSON.stringify(value)).toBe(JSON.stringify(redactSecrets(value)) !== JSON.stringify(value));
  });
});
