import { open, seal } from '../../platform/crypto/sealed-box.ts';

function aad(channelId: string): string {
  return `channel:${channelId}:webhook-secret`;
}

/** The channel's signing secret, sealed for `channels.credentials`. */
export function sealWebhookSecret(key: Buffer, channelId: string, secret: string): Buffer {
  return seal(key, Buffer.from(secret, 'utf8'), aad(channelId));
}

/** Secrets already opened in this process, per key, by channel and sealed bytes (at most MAX_OPENED per key). */
const opened = new WeakMap<Buffer, Map<string, string>>();
const MAX_OPENED = 1_000;

/**
 * The channel's secret from its sealed form. Every signed request in and every reply out needs
 * it, and opening it (an AES-GCM decryption) cost about 3 % of the webhook route's CPU, so the
 * result is kept, keyed by the key and the sealed bytes themselves: a new secret (rotation) is
 * other bytes and is opened afresh, and bytes that do not open under a key never enter its cache.
 */
export function openWebhookSecret(key: Buffer, channelId: string, sealed: Buffer): string {
  let ofKey = opened.get(key);
  if (!ofKey) {
    ofKey = new Map();
    opened.set(key, ofKey);
  }
  const id = `${channelId}:${sealed.toString('base64')}`;
  const known = ofKey.get(id);
  if (known !== undefined) return known;
  const secret = open(key, sealed, aad(channelId)).toString('utf8');
  if (ofKey.size >= MAX_OPENED) ofKey.clear();
  ofKey.set(id, secret);
  return secret;
}
