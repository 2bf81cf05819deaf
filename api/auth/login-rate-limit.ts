import type { Redis } from '../../platform/redis.ts';
import type { Clock } from '../../engine/clock.ts';
import { RateLimitedError } from '../../engine/errors/app-error.ts';
import { clientNetwork } from './client-network.ts';

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
 * Checks whether an address may try an account now and, in the same atomic step, counts the try
 * as a failure (taken back by a success). Checking and counting apart let guesses sent at once
 * all pass the check before any was counted: 30 parallel logins got 30 password checks where 5
 * were free. Returns 0 (counted), or the seconds to wait (nothing counted).
 * KEYS: pair, ip, email, known, slow. ARGV: now (ms), the client address, then the limits.
 */
const ATTEMPT_LUA = `
local now, ip = tonumber(ARGV[1]), ARGV[2]
local free, base, maxWait, pairMemory = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local ipWindow, maxIp, emailWindow, slowAfter, slowInterval = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if failures >= free then
  local wait = math.min(base * 2 ^ (failures - free), maxWait)
  local remaining = tonumber(redis.call('HGET', KEYS[1], 'lastAtMs') or '0') + wait * 1000 - now
  if remaining > 0 then return math.ceil(remaining / 1000) end
end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= maxIp then return math.max(redis.call('TTL', KEYS[2]), 1) end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= slowAfter and redis.call('SISMEMBER', KEYS[4], ip) == 0 then
  if not redis.call('SET', KEYS[5], '1', 'EX', slowInterval, 'NX') then return slowInterval end
end
redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'lastAtMs', now)
redis.call('EXPIRE', KEYS[1], pairMemory)
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ipWindow, 'NX')
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], emailWindow, 'NX')
return 0
`;

/**
 * A try was right: clears the pair, takes the try back from the address and account counters
 * (never below zero, nor into a window that has already ended) and remembers the address.
 * KEYS: pair, ip, email, known. ARGV: the client address, how long it stays known (s).
 */
const SUCCEEDED_LUA = `
redis.call('DEL', KEYS[1])
for _, key in ipairs({ KEYS[2], KEYS[3] }) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('EXPIRE', KEYS[4], tonumber(ARGV[2]))
return 0
`;

/**
 * A try was wrong: the pair's wait runs from now, when the answer is known, not from when the try
 * began. Checking a password takes a while (longer on a loaded server); counted from the start,
 * that time ate the first waits, and the next guess passed. KEYS: pair. ARGV: now (ms).
 */
const FAILED_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'lastAtMs', ARGV[1]) end
return 0
`;

/** attempt() for an address alone (signup). KEYS: ip. ARGV: the most failures, the window (s). */
const ADDRESS_ATTEMPT_LUA = `
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return math.max(redis.call('TTL', KEYS[1]), 1) end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]), 'NX')
return 0
`;

/** Takes back one counted try, never below zero. KEYS: the counter. */
const TAKE_BACK_LUA = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

/**
 * Limits password guessing without letting anyone lock an account (issue 13, item 6). Counters
 * live in Redis:
 * - per (account, address) pair: PAIR_FREE_FAILURES free failures, then an exponential wait
 *   since the last failure (1 s, 2 s, 4 s, … up to 15 min). Guessing from one address gets
 *   slower and slower, while the owner, from any other address, is not affected.
 * - per address: MAX_FAILURES_PER_IP failures per window over every account (and every signup
 *   that hit an existing email: see attemptAddress), then 429 until the window ends.
 * - per account, over every address: a ceiling that only slows. Past EMAIL_SLOW_AFTER_FAILURES
 *   failures in an hour (a distributed attack), addresses that never logged in to the account
 *   share one attempt per second; addresses it logged in from in the last 30 days are never
 *   slowed. Guessing from many addresses is capped at 3,600 attempts an hour instead of
 *   unbounded, and the owner keeps working from their usual addresses.
 * An address is an IPv4 address or an IPv6 /64 (one host's usual share).
 * Every try is counted as a failure when it is let through (attempt), before the password is
 * checked, so that tries sent at once cannot all pass; a success takes it back, clears the
 * pair's count and remembers the address for the account.
 */
export class LoginRateLimit {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {}

  /** `client` is what counts as one address: an IPv6 address's /64 (see clientNetwork). */
  private keys(email: string, ip: string) {
    const account = email.toLowerCase();
    const base = `${this.prefix}:login`;
    const client = clientNetwork(ip);
    return {
      client,
      pair: `${base}:pair:${account}:${client}`,
      ip: `${base}:ip:${client}`,
      email: `${base}:email:${account}`,
      known: `${base}:known:${account}`,
      slow: `${base}:slow:${account}`,
    };
  }

  /**
   * Lets this address try this account now, counting the try as a failure until recordSuccess
   * takes it back; throws RateLimitedError (with the seconds to wait) otherwise.
   */
  async attempt(email: string, ip: string): Promise<void> {
    const k = this.keys(email, ip);
    const limits = [
      PAIR_FREE_FAILURES,
      PAIR_BACKOFF_BASE_SECONDS,
      PAIR_BACKOFF_MAX_SECONDS,
      PAIR_MEMORY_SECONDS,
      IP_WINDOW_SECONDS,
      MAX_FAILURES_PER_IP,
      EMAIL_WINDOW_SECONDS,
      EMAIL_SLOW_AFTER_FAILURES,
      EMAIL_SLOW_INTERVAL_SECONDS,
    ];
    const waitSeconds = Number(
      await this.redis.eval(ATTEMPT_LUA, 5, k.pair, k.ip, k.email, k.known, k.slow, this.clock.now().getTime(), k.client, ...limits),
    );
    if (waitSeconds > 0) throw new RateLimitedError(waitSeconds);
  }

  /** The try let through by attempt() had the right password. */
  async recordSuccess(email: string, ip: string): Promise<void> {
    const k = this.keys(email, ip);
    await this.redis.eval(SUCCEEDED_LUA, 4, k.pair, k.ip, k.email, k.known, k.client, KNOWN_ADDRESS_SECONDS);
  }

  /** The try let through by attempt() had a wrong password: its wait starts now. */
  async recordFailure(email: string, ip: string): Promise<void> {
    await this.redis.eval(FAILED_LUA, 1, this.keys(email, ip).pair, this.clock.now().getTime());
  }

  /**
   * For signup, which answers 409 for an email that has an account (the flow needs it: "log in
   * instead"): each signup counts as a failure of the address when it is let through, taken back
   * by addressSucceeded once the account is created, so signup cannot be used to test more emails
   * than login could, even with signups sent at once. Signup never touches an account's
   * counters, so it cannot lock anyone out.
   */
  async attemptAddress(ip: string): Promise<void> {
    const key = this.keys('', ip).ip;
    const waitSeconds = Number(await this.redis.eval(ADDRESS_ATTEMPT_LUA, 1, key, MAX_FAILURES_PER_IP, IP_WINDOW_SECONDS));
    if (waitSeconds > 0) throw new RateLimitedError(waitSeconds);
  }

  /** The signup let through by attemptAddress() created an account. */
  async addressSucceeded(ip: string): Promise<void> {
    await this.redis.eval(TAKE_BACK_LUA, 1, this.keys('', ip).ip);
  }
}
