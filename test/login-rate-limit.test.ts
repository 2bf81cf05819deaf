import { randomBytes } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../engine/errors/app-error.ts';
import { EMAIL_SLOW_AFTER_FAILURES, LoginRateLimit, MAX_FAILURES_PER_IP, PAIR_FREE_FAILURES } from '../api/auth/login-rate-limit.ts';
import { createRedis, deleteKeysMatching } from '../platform/redis.ts';
import { TEST_REDIS_URL } from './support/test-env.ts';

const redis = createRedis(TEST_REDIS_URL);
const prefix = `omtest:${randomBytes(6).toString('hex')}`;
let nowMs = Date.parse('2026-12-06T00:00:00.000Z');
const clock = { now: () => new Date(nowMs) };
let limiter: LoginRateLimit;
let email: string;

beforeEach(() => {
  limiter = new LoginRateLimit(redis, prefix, clock);
  email = `${randomBytes(4).toString('hex')}@example.com`;
});

afterAll(async () => {
  await deleteKeysMatching(redis, `${prefix}:*`);
  await redis.quit();
});

/** Tries once: the seconds the limiter asks to wait, or 0 when the try may go on (it is then counted as a failure). */
async function waitAsked(address: string, account = email): Promise<number> {
  try {
    await limiter.attempt(account, address);
    return 0;
  } catch (err) {
    expect(err).toBeInstanceOf(RateLimitedError);
    return (err as RateLimitedError).retryAfterSeconds;
  }
}

/** Fails `times` times, each time waiting first as long as the limiter asks. */
async function fail(times: number, address: string, account = email): Promise<void> {
  for (let i = 0; i < times; i++) {
    for (let wait = await waitAsked(address, account); wait > 0; wait = await waitAsked(address, account)) nowMs += wait * 1000;
  }
}

describe('when one address keeps failing on one account', () => {
  it('lets the first failures through, then doubles the wait after each further failure', async () => {
    await fail(PAIR_FREE_FAILURES, '192.0.2.1');
    expect(await waitAsked('192.0.2.1')).toBe(1);
    nowMs += 1_000;
    expect(await waitAsked('192.0.2.1')).toBe(0);
    expect(await waitAsked('192.0.2.1')).toBe(2);
    await fail(2, '192.0.2.1');
    expect(await waitAsked('192.0.2.1')).toBe(8);
    nowMs += 8_000;
    expect(await waitAsked('192.0.2.1')).toBe(0);
  });

  // Regression: the wait ran from when the try began, so a password check slower than the first
  // wait (1 s, on a loaded server) let the next guess straight through.
  it('starts the wait when the wrong password is known, however long checking it took', async () => {
    await fail(PAIR_FREE_FAILURES - 1, '192.0.2.5');
    expect(await waitAsked('192.0.2.5')).toBe(0);
    nowMs += 1_500;
    await limiter.recordFailure(email, '192.0.2.5');
    expect(await waitAsked('192.0.2.5')).toBe(1);
  });

  it('does not count the tries it refuses', async () => {
    await fail(PAIR_FREE_FAILURES, '192.0.2.9');
    for (let i = 0; i < 5; i++) expect(await waitAsked('192.0.2.9')).toBe(1);
    nowMs += 1_000;
    expect(await waitAsked('192.0.2.9')).toBe(0);
    expect(await waitAsked('192.0.2.9')).toBe(2);
  });

  // Regression: the counters were read, then the password checked, then the failure counted, so
  // tries sent at once all passed the read.
  it('lets through only the free failures of tries made at once', async () => {
    const waits = await Promise.all(Array.from({ length: 20 }, () => waitAsked('192.0.2.10')));
    expect(waits.filter((w) => w === 0)).toHaveLength(PAIR_FREE_FAILURES);
  });

  it('never waits longer than 15 minutes', async () => {
    await fail(PAIR_FREE_FAILURES + 30, '192.0.2.2');
    expect(await waitAsked('192.0.2.2')).toBe(15 * 60);
  });

  it('counts every address of an IPv6 /64 as one address, and an IPv4 address written as IPv6 as itself', async () => {
    for (let i = 1; i <= PAIR_FREE_FAILURES; i++) expect(await waitAsked(`2001:db8:0:1::${i}`)).toBe(0);
    expect(await waitAsked('2001:0db8:0000:0001:ffff:1:2:3')).toBe(1);
    expect(await waitAsked('2001:db8:0:2::1')).toBe(0);
    await fail(PAIR_FREE_FAILURES, '192.0.2.77');
    expect(await waitAsked('::ffff:192.0.2.77')).toBe(1);
  });

  it('leaves the same account from another address alone', async () => {
    await fail(PAIR_FREE_FAILURES + 5, '192.0.2.3');
    expect(await waitAsked('198.51.100.3')).toBe(0);
  });

  it('forgets the failures of the pair after a success', async () => {
    await fail(PAIR_FREE_FAILURES + 2, '192.0.2.4');
    nowMs += 60_000;
    expect(await waitAsked('192.0.2.4')).toBe(0);
    await limiter.recordSuccess(email, '192.0.2.4');
    await fail(1, '192.0.2.4');
    expect(await waitAsked('192.0.2.4')).toBe(0);
  });
});

describe('when one address sprays failures over many accounts', () => {
  it('refuses it on any account once it reached the ceiling, and only it', async () => {
    for (let i = 0; i < MAX_FAILURES_PER_IP; i++) await fail(1, '203.0.113.5', `sprayed-${i}@example.com`);
    expect(await waitAsked('203.0.113.5', 'fresh@example.com')).toBeGreaterThan(0);
    expect(await waitAsked('203.0.113.6', 'fresh@example.com')).toBe(0);
  });

  it('does not count the tries that succeeded', async () => {
    for (let i = 0; i < MAX_FAILURES_PER_IP + 5; i++) {
      expect(await waitAsked('203.0.113.7', `owner-${i}@example.com`)).toBe(0);
      await limiter.recordSuccess(`owner-${i}@example.com`, '203.0.113.7');
    }
    expect(await waitAsked('203.0.113.7', 'fresh@example.com')).toBe(0);
  });

  it('counts signups that hit an existing email against the address, even when sent at once', async () => {
    const tries = await Promise.allSettled(Array.from({ length: MAX_FAILURES_PER_IP + 10 }, () => limiter.attemptAddress('203.0.113.8')));
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(MAX_FAILURES_PER_IP);
    await expect(limiter.attemptAddress('203.0.113.8')).rejects.toBeInstanceOf(RateLimitedError);
  });
});

describe('when many addresses guess one account', () => {
  it('slows addresses the account never logged in from to one attempt a second, and never its known addresses', async () => {
    await limiter.recordSuccess(email, '192.0.2.200');
    for (let i = 0; i < EMAIL_SLOW_AFTER_FAILURES; i++) await fail(1, `10.0.${Math.floor(i / 200)}.${i % 200}`);
    expect(await waitAsked('198.51.100.1')).toBe(0);
    expect(await waitAsked('198.51.100.2')).toBe(1);
    expect(await waitAsked('192.0.2.200')).toBe(0);
    expect(await waitAsked('192.0.2.200')).toBe(0);
  });
});
