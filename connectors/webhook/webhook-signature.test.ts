import { describe, expect, it } from 'vitest';
import { MAX_SKEW_MS, signWebhook, verifyWebhook } from './webhook-signature.ts';

const secret = 'a'.repeat(64);
const body = Buffer.from('{"event":"message","id":"m1"}');
const now = Date.parse('2026-11-26T10:00:00Z');
const ts = Math.floor(now / 1000);

describe('verifyWebhook', () => {
  it('accepts a request signed with the channel secret over timestamp and body', () => {
    expect(verifyWebhook(secret, { timestamp: String(ts), signature: signWebhook(secret, ts, body) }, body, now)).toBeNull();
  });

  it('refuses a changed body, another secret, or a signature moved to another timestamp', () => {
    expect(
      verifyWebhook(
        secret,
        { timestamp: String(ts), signature: signWebhook(secret, ts, body) },
        Buffer.from('{"event":"message","id":"m2"}'),
        now,
      ),
    ).toBe('bad_signature');
    expect(verifyWebhook(secret, { timestamp: String(ts), signature: signWebhook('b'.repeat(64), ts, body) }, body, now)).toBe(
      'bad_signature',
    );
    expect(verifyWebhook(secret, { timestamp: String(ts + 1), signature: signWebhook(secret, ts, body) }, body, now)).toBe('bad_signature');
  });

  it('refuses a timestamp more than 5 minutes away, either way', () => {
    const old = ts - MAX_SKEW_MS / 1000 - 1;
    expect(verifyWebhook(secret, { timestamp: String(old), signature: signWebhook(secret, old, body) }, body, now)).toBe('stale_timestamp');
    const future = ts + MAX_SKEW_MS / 1000 + 1;
    expect(verifyWebhook(secret, { timestamp: String(future), signature: signWebhook(secret, future, body) }, body, now)).toBe(
      'stale_timestamp',
    );
  });

  it('refuses missing headers and a timestamp that is not a number', () => {
    expect(verifyWebhook(secret, { timestamp: String(ts) }, body, now)).toBe('missing_signature');
    expect(verifyWebhook(secret, { timestamp: 'yesterday', signature: 'sha256=00' }, body, now)).toBe('bad_timestamp');
  });
});
