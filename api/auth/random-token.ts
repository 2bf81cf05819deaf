import { createHash, randomBytes } from 'node:crypto';

const TOKEN_RANDOM_BYTES = 32;

/**
 * A new bearer token shown once (a flow webhook URL, an invitation link): the token and the hash
 * that is stored in its place.
 */
export function generateRandomToken(): { token: string; hash: string } {
  const token = randomBytes(TOKEN_RANDOM_BYTES).toString('base64url');
  return { token, hash: hashRandomToken(token) };
}

/**
 * What is stored for a token, and what a presented token is hashed to before the lookup.
 * SHA-256 suffices, with no salt or stretching: the token has 256 random bits, so its hash
 * reveals nothing guessable.
 */
export function hashRandomToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
