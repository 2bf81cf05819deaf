import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SealedBoxError } from '../crypto/sealed-box.ts';
import { openSecretValue, sealSecretValue } from './secret-seal.ts';

const key = randomBytes(32);
const place = { workspaceId: '0196f0b2-0000-7000-8000-00000000000a', secretId: '0196f0b2-0000-7000-8000-0000000000aa', name: 'STRIPE_KEY' };
const VALUE = 'sk_live_distinctive_value_42';

describe('when a secret value is sealed for its workspace', () => {
  it('opens for the same workspace, id and name', () => {
    expect(openSecretValue(key, place, sealSecretValue(key, place, VALUE))).toBe(VALUE);
  });

  it('holds no readable trace of the value', () => {
    const sealed = sealSecretValue(key, place, VALUE);
    for (const text of [sealed.toString('utf8'), sealed.toString('latin1'), sealed.toString('hex'), sealed.toString('base64')])
      expect(text).not.toContain(VALUE);
  });

  it.each([
    ['another workspace', { ...place, workspaceId: '0196f0b2-0000-7000-8000-00000000000b' }],
    ['another secret id', { ...place, secretId: '0196f0b2-0000-7000-8000-0000000000bb' }],
    ['another name', { ...place, name: 'OTHER_KEY' }],
  ])('cannot be opened as a row copied to %s', (_where, elsewhere) => {
    const sealed = sealSecretValue(key, place, VALUE);
    expect(() => openSecretValue(key, elsewhere, sealed)).toThrow(SealedBoxError);
  });
});
