import { generateRandomToken, hashRandomToken } from './random-token.ts';

/** API keys look like `om_<43 base64url chars>`; the prefix lets the auth layer tell them from session tokens. */
export const API_KEY_PREFIX = 'om_';
const SHOWN_PREFIX_CHARS = 10;

/** A new API key: the secret (shown once), its hash (stored, as hashRandomToken gives it) and its visible prefix (stored). */
export function generateApiKey(): { secret: string; hash: string; prefix: string } {
  const secret = API_KEY_PREFIX + generateRandomToken().token;
  return { secret, hash: hashRandomToken(secret), prefix: secret.slice(0, SHOWN_PREFIX_CHARS) };
}
