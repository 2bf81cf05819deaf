import type { Redis } from 'ioredis';
import { RateLimitedError } from '../../engine/errors/app-error.ts';

const WINDOW_SECONDS = 15 * 60;
/** Failed logins allowed per account per window: slows guessing one password. */
const MAX_FAILURES_PER_EMAIL = 10;
/** Failed logins allowed per client address per window: slows spraying many accounts. */
const MAX_FAILURES_PER_IP = 50;

/**
 * Counts failed logins in fixed windows in Redis, per email and per client address, and refuses
 * further attempts once either count is reached. Successful logins clear the email's count.
 */
export class LoginRateLimit {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(email: string, ip: string): [string, string] {
    return [`${this.prefix}:login-failures:email:${email.toLowerCase()}`, `${this.prefix}:login-failures:ip:${ip}`];
  }

  /** Throws RateLimitedError when this email or address has failed too often. */
  async check(email: string, ip: string): Promise<void> {
    const [emailKey, ipKey] = this.keys(email, ip);
    const [emailCount, ipCount] = await this.redis.mget(emailKey, ipKey);
    if (Number(emailCount ?? 0) >= MAX_FAILURES_PER_EMAIL || Number(ipCount ?? 0) >= MAX_FAILURES_PER_IP) {
      const ttl = Math.max(await this.redis.ttl(Number(emailCount ?? 0) >= MAX_FAILURES_PER_EMAIL ? emailKey : ipKey), 1);
      throw new RateLimitedError(ttl);
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const multi = this.redis.multi();
    for (const key of this.keys(email, ip)) multi.incr(key).expire(key, WINDOW_SECONDS, 'NX');
    await multi.exec();
  }

  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.redis.del(this.keys(email, ip)[0]);
  }
}
