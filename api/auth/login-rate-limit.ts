import type { Redis } from 'ioredis';
import type { Clock } from '../../engine/clock.ts';
import { RateLimitedError } from '../../engine/errors/app-error.ts';

/** Failed attempts one client address may make on one account before it must wait between attempts. */
export const PAIR_FREE_FAILURES = 5;
/** The wait after the first failure beyond the free ones; it doubles with each further failure. */
const PAIR_BACKOFF_BASE_SECONDS = 1;
const PAIR_BACKOFF_MAX_SECONDS = 15 * 60;
/** A pair's failures are forgotten this long after its last one (or at once by a success). */
const PAIR_MEMORY_SECONDS = 24 * 3600;

const IP_WINDOW_SECONDS = 15 * 60;
/** Failures allowed per client address per window, over every account: slows spraying one password over many accounts. */
export const MAX_FAILURES_PER_IP = 50;

const EMAIL_WINDOW_SECONDS = 3600;
/** Failures for one account from every address per window after which unknown addresses are slowed. */
export const EMAIL_SLOW_AFTER_FAILURES = 100;
/** Once an account is under attack: one attempt per this many seconds, shared by every address it has never logged in from. */
const EMAIL_SLOW_INTERVAL_SECONDS = 1;
/** How long an address that logged in to an account stays known to it. */
const KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600;

/**
 * Limits password guessing without letting anyone lock an account (issue 13, item 6). Counters
 * live in Redis:
 * - per (account, address) pair: PAIR_FREE_FAILURES free failures, then an exponential wait
 *   since the last failure (1 s, 2 s, 4 s, … up to 15 min). Guessing from one address gets
 *   slower and slower, while the owner, from any other address, is not affected.
 * - per address: MAX_FAILURES_PER_IP failures per window over every account (and every signup
 *   that hit an existing email: see checkAddress), then 429 until the window ends.
 * - per account, over every address: a ceiling that only slows. Past EMAIL_SLOW_AFTER_FAILURES
 *   failures in an hour (a distributed attack), addresses that never logged in to the account
 *   share one attempt per second; addresses it logged in from in the last 30 days are never
 *   slowed. Guessing from many addresses is capped at 3,600 attempts an hour instead of
 *   unbounded, and the owner keeps working from their usual addresses.
 * A success clears the pair's count and remembers the address for the account.
 */
export class LoginRateLimit {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {}

  private keys(email: string, ip: string) {
    const account = email.toLowerCase();
    const base = `${this.prefix}:login`;
    return {
      pair: `${base}:pair:${account}:${ip}`,
      ip: `${base}:ip:${ip}`,
      email: `${base}:email:${account}`,
      known: `${base}:known:${account}`,
      slow: `${base}:slow:${account}`,
    };
  }

  /** Throws RateLimitedError (with the seconds to wait) when this address may not try this account now. */
  async check(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    const [pair, ipCount, emailCount] = (await this.redis.multi().hmget(keys.pair, 'failures', 'lastAtMs').get(keys.ip).get(keys.email).exec())!.map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [[string | null, string | null], string | null, string | null];
    const failures = Number(pair[0] ?? 0);
    if (failures >= PAIR_FREE_FAILURES) {
      const waitSeconds = Math.min(PAIR_BACKOFF_BASE_SECONDS * 2 ** (failures - PAIR_FREE_FAILURES), PAIR_BACKOFF_MAX_SECONDS);
      const remainingMs = Number(pair[1] ?? 0) + waitSeconds * 1000 - this.clock.now().getTime();
      if (remainingMs > 0) throw new RateLimitedError(Math.ceil(remainingMs / 1000));
    }
    if (Number(ipCount ?? 0) >= MAX_FAILURES_PER_IP) throw new RateLimitedError(Math.max(await this.redis.ttl(keys.ip), 1));
    if (Number(emailCount ?? 0) >= EMAIL_SLOW_AFTER_FAILURES && !(await this.redis.sismember(keys.known, ip))) {
      const took = await this.redis.set(keys.slow, '1', 'EX', EMAIL_SLOW_INTERVAL_SECONDS, 'NX');
      if (took !== 'OK') throw new RateLimitedError(EMAIL_SLOW_INTERVAL_SECONDS);
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    await this.redis
      .multi()
      .hincrby(keys.pair, 'failures', 1)
      .hset(keys.pair, 'lastAtMs', this.clock.now().getTime())
      .expire(keys.pair, PAIR_MEMORY_SECONDS)
      .incr(keys.ip)
      .expire(keys.ip, IP_WINDOW_SECONDS, 'NX')
      .incr(keys.email)
      .expire(keys.email, EMAIL_WINDOW_SECONDS, 'NX')
      .exec();
  }

  async recordSuccess(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    await this.redis.multi().del(keys.pair).sadd(keys.known, ip).expire(keys.known, KNOWN_ADDRESS_SECONDS).exec();
  }

  /**
   * For signup, which answers 409 for an email that has an account (the flow needs it: "log in
   * instead"): each such answer counts as a failure of the address, so signup cannot be used to
   * test more emails than login could. Signup never touches an account's counters, so it cannot
   * lock anyone out.
   */
  async checkAddress(ip: string): Promise<void> {
    const key = this.keys('', ip).ip;
    if (Number((await this.redis.get(key)) ?? 0) >= MAX_FAILURES_PER_IP) throw new RateLimitedError(Math.max(await this.redis.ttl(key), 1));
  }

  async recordAddressFailure(ip: string): Promise<void> {
    const key = this.keys('', ip).ip;
    await this.redis.multi().incr(key).expire(key, IP_WINDOW_SECONDS, 'NX').exec();
  }
}
