import { createHash, randomBytes } from 'node:crypto';

const TOKEN_RANDOM_BYTES = 32;

/** A new inbound webhook token for a flow: the token (shown once, in the URL) and its hash (stored). */
export function generateFlowWebhookToken(): { token: string; hash: string } {
  const token = randomBytes(TOKEN_RANDOM_BYTES).toString('base64url');
  return { token, hash: hashFlowWebhookToken(token) };
}

/**
 * What `flows.webhook_token_hash` holds; the webhook endpoint hashes the token of the URL the
 * same way and compares. SHA-256 suffices: the token has 256 bits of entropy.
 */
export function hashFlowWebhookToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The path an outside system posts to; the API is mounted elsewhere, so no `/api` prefix. */
export function flowWebhookPath(flowId: string, token: string): string {
  return `/hooks/flows/${flowId}/${token}`;
}
