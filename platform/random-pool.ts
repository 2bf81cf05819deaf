import { randomFillSync } from 'node:crypto';

/*
 * Random bytes for what is made at every request or row (ids, CSP nonces), taken from a pool
 * that the system's CSPRNG fills 4 KB at a time, each byte handed out once. A call of
 * `crypto.randomBytes(16)` costs about 6 µs here (one native call each); a slice of the pool
 * about 0.1–0.2 µs.
 */

const RANDOM_POOL_BYTES = 4_096;
const pool = Buffer.alloc(RANDOM_POOL_BYTES);
let poolAt = RANDOM_POOL_BYTES;

/** Where the next `count` bytes start, the pool refilled first when fewer are left. */
function take(count: number): number {
  if (poolAt + count > RANDOM_POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += count;
  return at;
}

/** One random byte. */
export function randomByte(): number {
  return pool[take(1)]!;
}

/** `count` random bytes (at most the pool's size), as base64. */
export function randomBase64(count: number): string {
  const at = take(count);
  return pool.toString('base64', at, at + count);
}
