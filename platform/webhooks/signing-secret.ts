import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { open, seal } from '../crypto/sealed-box.ts';

/** Bytes of a new signing secret (Standard Webhooks: 24 to 64). */
const SECRET_BYTES = 32;
const SECRET_PREFIX = 'whsec_';

/** A new signing secret, `whsec_` and base64, as Standard Webhooks libraries take it. */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

function aad(workspaceId: string, endpointId: string): string {
  return `workspace:${workspaceId}:webhook-endpoint:${endpointId}:secret`;
}

/** Seals a signing secret for its endpoint's row: it opens for that workspace and endpoint only. */
export function sealSigningSecret(key: Buffer, workspaceId: string, endpointId: string, secret: string): Buffer {
  return seal(key, Buffer.from(secret, 'utf8'), aad(workspaceId, endpointId));
}

export function openSigningSecret(key: Buffer, workspaceId: string, endpointId: string, sealed: Buffer): string {
  return open(key, sealed, aad(workspaceId, endpointId)).toString('utf8');
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret,
 * space-separated (the previous secret too while a rotation's grace period lasts).
 */
export function signatureHeader(secrets: readonly string[], messageId: string, at: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(messageId, at, body)).join(' ');
}
