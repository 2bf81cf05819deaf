import { createHash, randomBytes } from 'node:crypto';

/** API keys look like `om_<43 base64url chars>`; the prefix lets the auth layer tell them from session tokens. */
export const API_KEY_PREFIX = 'om_';
const KEY_RANDOM_BYTES = 32;
const SHOWN_PREFIX_CHARS = 10;

/** A new API key: the secret (shown once), its hash (stored) and its visible prefix (stored). */
export function generateApiKey(): { secret: string; hash: string; prefix: string } {
  const secret = API_KEY_PREFIX + randomBytes(KEY_RANDOM_BYTES).toString('base64url');
  return { secret, hash: hashApiKey(secret), prefix: secret.slice(0, SHOWN_PREFIX_CHARS) };
}

/** SHA-256 is enough here: the key has 256 bits of entropy, so it cannot be guessed from its hash. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
