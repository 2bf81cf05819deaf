import pg from 'pg';
import { redactUrl } from '../engine/redact-url.ts';
import { createRedis } from './redis.ts';

/** How long a start-up reachability check waits before calling a service unreachable. */
const CONNECT_TIMEOUT_MS = 3_000;

export type ServiceName = 'PostgreSQL' | 'Redis';

/**
 * A service this process needs did not answer at start-up. Its message is one line a person can
 * act on: the service, the URL tried (password redacted) and how to start it.
 */
export class DependencyUnreachableError extends Error {
  override name = 'DependencyUnreachableError';
  constructor(
    readonly service: ServiceName,
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const HOW_TO_START: Record<ServiceName, string> = {
  PostgreSQL:
    'start it (pg_ctlcluster --skip-systemctl-redirect <version> main start, or docker compose up -d postgres) or set DATABASE_URL',
  Redis: 'start it (redis-server --daemonize yes, or docker compose up -d redis) or set REDIS_URL',
};

function errorCode(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/**
 * Checks that PostgreSQL answers `select 1`. It connects to the server's maintenance database
 * (`postgres`) because the application database may not exist yet: `start` creates it.
 */
export async function checkPostgres(databaseUrl: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const shown = redactUrl(databaseUrl);
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: timeoutMs });
  // A connection lost after connect() surfaces as an 'error' event; without a listener it would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    const code = errorCode(err);
    // 28P01: wrong password; 28000: no pg_hba entry or no such role.
    if (code === '28P01' || code === '28000') {
      throw new DependencyUnreachableError(
        'PostgreSQL',
        shown,
        `PostgreSQL at ${shown} refused the credentials (${(err as Error).message}): fix the user or password in DATABASE_URL`,
        { cause: err },
      );
    }
    throw new DependencyUnreachableError('PostgreSQL', shown, `PostgreSQL is not reachable at ${shown}: ${HOW_TO_START.PostgreSQL}`, {
      cause: err,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks that Redis answers PING, with one connection attempt and no retries. */
export async function checkRedis(redisUrl: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const shown = redactUrl(redisUrl);
  const redis = createRedis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // ioredis prints "Unhandled error event" for errors nobody listens to; connect() rejects anyway.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (/NOAUTH|WRONGPASS|invalid password/i.test(message)) {
      throw new DependencyUnreachableError(
        'Redis',
        shown,
        `Redis at ${shown} refused the credentials (${message}): fix the password in REDIS_URL`,
        { cause: err },
      );
    }
    throw new DependencyUnreachableError('Redis', shown, `Redis is not reachable at ${shown}: ${HOW_TO_START.Redis}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}

/** Runs the checks for the services a command needs, in parallel; the first failure is thrown. */
export async function checkDependencies(opts: { databaseUrl?: string; redisUrl?: string }): Promise<void> {
  const checks: Promise<void>[] = [];
  if (opts.databaseUrl) checks.push(checkPostgres(opts.databaseUrl));
  if (opts.redisUrl) checks.push(checkRedis(opts.redisUrl));
  const results = await Promise.allSettled(checks);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
