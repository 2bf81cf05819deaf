import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/**
 * A Redis connection. BullMQ needs `maxRetriesPerRequest: null` on connections that block
 * (workers); every connection here uses it so that one kind serves both.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...opts });
}
