import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/**
 * A Redis connection. BullMQ needs `maxRetriesPerRequest: null` on connections that block
 * (workers); every connection here uses it so that one kind serves both.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...opts });
}

/** Deletes every key matching `pattern` (SCAN in pages, never KEYS): a test's or a bench's prefix at cleanup. */
export async function deleteKeysMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
