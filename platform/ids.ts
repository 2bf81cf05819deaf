import { randomByte } from './random-pool.ts';

/*
 * UUIDv7 (RFC 9562) built here rather than by the `uuid` package, whose v7 costs 6-8 µs an id
 * on this machine (a random source call and a formatting pass per id): a contact import makes
 * one per row, a sixth of the importing process's CPU (issue 20, import bench). This one takes
 * its random bytes from a pool (random-pool.ts) and formats through a table: about 0.3 µs.
 *
 * Layout, as the `uuid` package lays it out: 48 bits of Unix milliseconds, the version, then a
 * 32-bit sequence (12 bits of rand_a, the variant, 20 bits of rand_b) and 42 random bits. The
 * sequence starts at a random value each millisecond and counts up within it, so the ids of one
 * process sort in the order they were made; when it runs out, the millisecond moves on by one.
 */

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** Largest sequence a millisecond starts at: leaves 2^31 ids before it must move on. */
const SEQUENCE_START_MASK = 0x7fffffff;

let lastMs = -1;
let sequence = 0;

/** A new time-ordered id (UUIDv7): rows inserted later sort later, so hot indexes append. */
export function newId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = ((randomByte() << 24) | (randomByte() << 16) | (randomByte() << 8) | randomByte()) & SEQUENCE_START_MASK;
  } else if (sequence === 0xffffffff) {
    lastMs += 1;
    sequence = 0;
  } else {
    sequence += 1;
  }
  const ms = lastMs;
  // 48 bits of milliseconds do not fit a 32-bit operand: the top 16 and the low 32 apart.
  const high = Math.floor(ms / 0x100000000);
  const low = ms >>> 0;
  return (
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[low >>> 24]! +
    HEX[(low >>> 16) & 0xff]! +
    '-' +
    HEX[(low >>> 8) & 0xff]! +
    HEX[low & 0xff]! +
    '-' +
    HEX[0x70 | (sequence >>> 28)]! +
    HEX[(sequence >>> 20) & 0xff]! +
    '-' +
    HEX[0x80 | ((sequence >>> 14) & 0x3f)]! +
    HEX[(sequence >>> 6) & 0xff]! +
    '-' +
    HEX[((sequence & 0x3f) << 2) | (randomByte() & 0x03)]! +
    HEX[randomByte()]! +
    HEX[randomByte()]! +
    HEX[randomByte()]! +
    HEX[randomByte()]! +
    HEX[randomByte()]!
  );
}
