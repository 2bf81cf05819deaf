import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Headers of a signed webhook request, both ways (inbound to us, outbound to the channel's URL). */
export const TIMESTAMP_HEADER = 'x-onemessage-timestamp';
export const SIGNATURE_HEADER = 'x-onemessage-signature';
/** A request older (or further in the future) than this is refused: a captured request cannot be replayed later. */
export const MAX_SKEW_MS = 5 * 60_000;

/** A new channel secret: 32 random bytes, hex. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<raw body>"). */
export function signWebhook(secret: string, timestampS: number, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.`).update(body).digest('hex')}`;
}

export type SignatureProblem = 'missing_signature' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature';

/** Checks a request's timestamp and signature; returns what is wrong, or null when it is genuine. */
export function verifyWebhook(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  body: Buffer,
  nowMs: number,
): SignatureProblem | null {
  if (!headers.signature || !headers.timestamp) return 'missing_signature';
  if (!/^\d{1,12}$/.test(headers.timestamp)) return 'bad_timestamp';
  const timestampS = Number(headers.timestamp);
  if (Math.abs(nowMs - timestampS * 1000) > MAX_SKEW_MS) return 'stale_timestamp';
  const expected = Buffer.from(signWebhook(secret, timestampS, body));
  const given = Buffer.from(headers.signature);
  // Constant-time comparison: the time taken says nothing about how much of the signature matched.
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'bad_signature';
}
