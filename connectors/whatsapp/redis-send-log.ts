import { randomBytes } from 'node:crypto';
import type { Redis } from '../../platform/redis.ts';
import type { SendLog } from './pacer.ts';

const DAY_MS = 24 * 60 * 60_000;

/** A number's send times in a Redis sorted set (score = time), trimmed to the last day. */
export class RedisSendLog implements SendLog {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async add(atMs: number): Promise<void> {
    await this.redis
      .multi()
      // A random suffix: two sends in the same millisecond are two members.
      .zadd(this.key, atMs, `${atMs}-${randomBytes(4).toString('hex')}`)
      .zremrangebyscore(this.key, '-inf', atMs - DAY_MS)
      .pexpire(this.key, DAY_MS)
      .exec();
  }

  async since(fromMs: number): Promise<number[]> {
    const flat = await this.redis.zrangebyscore(this.key, `(${fromMs}`, '+inf', 'WITHSCORES');
    const times: number[] = [];
    for (let i = 1; i < flat.length; i += 2) times.push(Number(flat[i]));
    return times;
  }
}
