import { describe, expect, it } from 'vitest';
import { randomBase64, randomByte } from './random-pool.ts';

describe('the random pool', () => {
  it('hands out each slice once, across refills of the pool', () => {
    // 16 bytes at a time, 10,000 times: the 4 KB pool is refilled about forty times. One byte taken
    // first puts the slices out of step with the pool's end, so that a slice is asked when too few bytes are left.
    randomByte();
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const nonce = randomBase64(16);
      expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
      seen.add(nonce);
    }
    expect(seen.size).toBe(10_000);
  });

  it('gives bytes spread over their whole range', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 256 * 200; i++) counts[randomByte()]!++;
    // 200 expected per value; a fair source stays far within these bounds.
    expect(Math.min(...counts)).toBeGreaterThan(100);
    expect(Math.max(...counts)).toBeLessThan(320);
  });
});
