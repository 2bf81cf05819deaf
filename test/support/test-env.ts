import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { Config } from '../../platform/config.ts';
import { dropDatabase, ensureDatabase } from '../../platform/db/ensure-database.ts';
import { migrateUp } from '../../platform/db/migrate.ts';
import { openOrm, type Orm } from '../../platform/db/orm.ts';
import { createRedis, deleteKeysMatching, type Redis } from '../../platform/redis.ts';

export const TEST_PG_BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestEnv {
  /** A short unique id for this test file's database and Redis prefix. */
  id: string;
  config: Config;
  orm: Orm;
  redis: Redis;
  cleanup(): Promise<void>;
}

/** A config for tests: its own database name and Redis prefix, a fixed random key, silent logs. */
export function testConfig(id: string, overrides: Partial<Config> = {}): Config {
  return {
    env: 'test',
    databaseUrl: `${TEST_PG_BASE}/om_test_${id}`,
    redisUrl: TEST_REDIS_URL,
    redisPrefix: `omtest:${id}`,
    port: 0,
    host: '127.0.0.1',
    secretKey: randomBytes(32),
    demo: { email: 'demo@onemessage.local', password: 'onemessage-demo' },
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    bodyLimitBytes: 256 * 1024,
    dataDir: `/tmp/onemessage-test-${id}`,
    httpAllowHosts: [],
    publicUrl: 'http://localhost:3000',
    smtp: null,
    operator: { token: null, basic: null, metricsToken: null },
    ...overrides,
  };
}

/**
 * Creates an isolated environment for one test file: a new database with every migration
 * applied (a copy of the run's migrated template, see database-template.global-setup.ts) and a
 * Redis key prefix of its own (its database is always on TEST_PG_BASE, where the template is).
 * `cleanup` drops both.
 */
export async function createTestEnv(overrides: Partial<Omit<Config, 'databaseUrl'>> = {}): Promise<TestEnv> {
  const id = randomBytes(6).toString('hex');
  const config = testConfig(id, overrides);
  await copyTemplate(`om_test_${id}`);
  const orm = await openOrm(config.databaseUrl);
  const redis = createRedis(config.redisUrl);
  return {
    id,
    config,
    orm,
    redis,
    async cleanup() {
      await orm.close();
      await deleteKeysMatching(redis, `${config.redisPrefix}:*`);
      redis.disconnect();
      await dropDatabase(config.databaseUrl);
    },
  };
}

/** Whether this process saw the run's template migrated (see copyTemplate). */
let templateReady = false;

/**
 * Creates the database `name` as a copy of the run's migrated template. The first caller of the
 * run creates and migrates the template, under an advisory lock the other test processes wait
 * on; a template whose migration failed is dropped, so that nobody copies half of one.
 */
async function copyTemplate(name: string): Promise<void> {
  const template = inject('testDatabaseTemplate');
  const client = new pg.Client({ connectionString: `${TEST_PG_BASE}/postgres` });
  await client.connect();
  try {
    if (!templateReady) {
      await client.query('select pg_advisory_lock(hashtext($1))', [template]);
      try {
        const url = `${TEST_PG_BASE}/${template}`;
        if (await ensureDatabase(url)) {
          const orm = await openOrm(url);
          try {
            await migrateUp(orm);
          } catch (err) {
            await orm.close();
            await dropDatabase(url);
            throw err;
          }
          // A template is copied only while nobody is connected to it.
          await orm.close();
        }
      } finally {
        await client.query('select pg_advisory_unlock(hashtext($1))', [template]);
      }
      templateReady = true;
    }
    await client.query(`create database "${name}" template "${template}"`);
  } finally {
    await client.end();
  }
}
