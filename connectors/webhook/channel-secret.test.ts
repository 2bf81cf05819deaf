import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SealedBoxError } from '../../platform/crypto/sealed-box.ts';
import { openWebhookSecret, sealWebhookSecret } from './channel-secret.ts';

describe('openWebhookSecret', () => {
  const key = randomBytes(32);
  const channelId = crypto.randomUUID();

  it('refuses the sealed bytes under another key, for another channel, or tampered with', () => {
    const sealed = sealWebhookSecret(key, channelId, 'kept');
    expect(openWebhookSecret(key, channelId, sealed)).toBe('kept');
    expect(() => openWebhookSecret(randomBytes(32), channelId, sealed)).toThrow(SealedBoxError);
    expect(() => openWebhookSecret(key, crypto.randomUUID(), sealed)).toThrow(SealedBoxError);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => openWebhookSecret(key, channelId, tampered)).toThrow(SealedBoxError);
  });
});
