import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase } from '../../platform/db/ensure-database.ts';
import { openOrm, type Orm } from '../../platform/db/orm.ts';
import { createRedis, deleteKeysMatching, type Redis } from '../../platform/redis.ts';
import type { RoleName } from '../../platform/runtime/role-name.ts';
import { runRoles, type RunningProcess } from '../../platform/runtime/run-roles.ts';

export const BENCH_PG_BASE = process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The product's default pool size: the bench's own pool (the inbound side) gets the same. */
const BENCH_POOL_MAX = 10;

/** The whole product running in this process on a database and Redis prefix of its own. */
export interface BenchEnv {
  id: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  product: RunningProcess;
  baseUrl: string;
  /** The bench's own pool on the same database: the inbound pipeline it drives and its queries. */
  orm: Orm;
  /** A command connection for the bench (baseline queues, key cleanup). */
  redis: Redis;
  /** The secret key the product runs with (a role process started apart needs the same). */
  secretKeyHex: string;
  /** Stops the product, drops the database and deletes every key under the prefix. Safe to call twice. */
  cleanup(): Promise<void>;
}

/**
 * Starts api + worker + connector in-process through the real composition root (`runRoles`),
 * as `onemessage start` does, on a fresh database `om_bench_<id>` (migrated by the api role).
 */
/**
 * `roles`: the roles run in this process (a bench may run one apart, to measure it alone);
 * `extraEnv`: more settings for the product (billing on; HTTP_ALLOW_HOSTS for a receiver on loopback).
 */
export async function startBenchEnv(
  logLevel = 'warn',
  roles: RoleName[] = ['api', 'worker', 'connector'],
  extraEnv: Record<string, string> = {},
): Promise<BenchEnv> {
  const id = randomBytes(5).toString('hex');
  const secretKeyHex = randomBytes(32).toString('hex');
  const databaseUrl = `${BENCH_PG_BASE}/om_bench_${id}`;
  const redisPrefix = `ombench:${id}`;
  await ensureDatabase(databaseUrl);
  let product: RunningProcess | null = null;
  let orm: Orm | null = null;
  let redis: Redis | null = null;
  // Memoised: a second caller (the signal handler and the bench's finally) waits for the same cleanup.
  let cleaning: Promise<void> | null = null;
  const cleanup = () => (cleaning ??= cleanupOnce());
  const cleanupOnce = async () => {
    if (product) await product.shutdown.run('bench finished').catch((err: unknown) => console.error('product shutdown failed', err));
    // Dropped before the bench's pool closes: the drop ends any query of ours still running
    // (after an interrupt), which would otherwise keep the pool from closing.
    await dropDatabase(databaseUrl);
    if (orm) await orm.close().catch(() => undefined);
    const keys = redis ?? createRedis(BENCH_REDIS_URL);
    await deleteKeysMatching(keys, `${redisPrefix}:*`).catch((err: unknown) => console.error('redis cleanup failed', err));
    keys.disconnect();
  };
  try {
    product = await runRoles(
      roles,
      {
        DATABASE_URL: databaseUrl,
        REDIS_URL: BENCH_REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        PORT: '0',
        HOST: '127.0.0.1',
        ONEMESSAGE_SECRET_KEY: secretKeyHex,
        LOG_LEVEL: logLevel,
        NODE_ENV: 'production',
        ...extraEnv,
      },
      // The bench ends the process itself, after cleaning up.
      { exit: () => undefined, listenForSignals: false },
    );
    orm = await openOrm(databaseUrl, { poolMax: BENCH_POOL_MAX });
    redis = createRedis(BENCH_REDIS_URL);
    return {
      id,
      databaseUrl,
      redisUrl: BENCH_REDIS_URL,
      redisPrefix,
      secretKeyHex,
      product,
      baseUrl: `http://127.0.0.1:${product.port}`,
      orm,
      redis,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
