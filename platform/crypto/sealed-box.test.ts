import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, openJson, seal, SealedBoxError, sealJson } from './sealed-box.ts';

const key = randomBytes(32);

describe('when a value is sealed', () => {
  it('opens back to the same value with the same key and context', () => {
    const sealed = sealJson(key, { secret: 'whatsapp-noise-key' }, 'channel:1:credentials');
    expect(openJson(key, sealed, 'channel:1:credentials')).toEqual({ secret: 'whatsapp-noise-key' });
  });

  it('does not contain the plaintext', () => {
    const sealed = seal(key, Buffer.from('very secret plaintext'), 'ctx');
    expect(sealed.includes(Buffer.from('very secret plaintext'))).toBe(false);
  });

  it('uses a fresh nonce each time', () => {
    expect(seal(key, Buffer.from('x'), 'ctx').equals(seal(key, Buffer.from('x'), 'ctx'))).toBe(false);
  });

  it('refuses to open under another context (a value copied to another row)', () => {
    const sealed = seal(key, Buffer.from('x'), 'channel:1:credentials');
    expect(() => open(key, sealed, 'channel:2:credentials')).toThrow(SealedBoxError);
  });

  it('refuses to open with another key or after tampering', () => {
    const sealed = seal(key, Buffer.from('x'), 'ctx');
    expect(() => open(randomBytes(32), sealed, 'ctx')).toThrow('sealed value failed authentication');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => open(key, tampered, 'ctx')).toThrow(SealedBoxError);
  });
});
