import { Cluster, Redis as SingleRedis, type RedisOptions } from 'ioredis';

/** One Redis server, or a Redis Cluster: the commands the product sends are the same on both. */
export type Redis = SingleRedis | Cluster;

/**
 * `REDIS_URL` with the scheme `redis+cluster://` (or `rediss+cluster://`) names one node of a
 * Redis Cluster: the client learns the others from it. Every key the product writes starts with
 * `REDIS_PREFIX`, which must then hold a hash tag (`{om}`): a queue's keys, and the keys a
 * script touches together, must share a slot.
 */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:/.test(url);
}

/**
 * A Redis connection. BullMQ needs `maxRetriesPerRequest: null` on connections that block
 * (workers); every connection here uses it so that one kind serves both.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  const options: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...opts };
  if (!isClusterUrl(url)) return new SingleRedis(url, options);
  const seed = new URL(url.replace('+cluster', ''));
  const nodeOptions: RedisOptions = {
    ...options,
    ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
    ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
    ...(seed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], {
    redisOptions: nodeOptions,
    enableReadyCheck: true,
    lazyConnect: opts.lazyConnect ?? false,
    ...(opts.enableOfflineQueue === undefined ? {} : { enableOfflineQueue: opts.enableOfflineQueue }),
    ...(opts.retryStrategy ? { clusterRetryStrategy: () => null } : {}),
  });
}

/** The nodes whose keys a scan must read: every master of a cluster, or the one server. */
function scanTargets(redis: Redis): SingleRedis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Deletes every key matching `pattern` (SCAN in pages, never KEYS): a test's or a bench's prefix at cleanup. */
export async function deleteKeysMatching(redis: Redis, pattern: string): Promise<void> {
  for (const node of scanTargets(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      // One DEL per key on a cluster: keys of one page may live in different slots.
      if (keys.length) await (redis instanceof Cluster ? Promise.all(keys.map((k) => node.del(k))) : node.del(...keys));
      cursor = next;
    } while (cursor !== '0');
  }
}
