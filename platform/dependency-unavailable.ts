/**
 * Whether an error means a dependency (PostgreSQL, Redis) cannot be reached right now: a
 * restart, a failover, a full connection table, a network cut. Such a request may succeed
 * when tried again shortly, so the API answers 503 `unavailable` with Retry-After instead of a
 * 500 `internal`, and jobs retry. The cause chain is followed (MikroORM and knex wrap the
 * driver's error; Node's connect gives an AggregateError per address family).
 */

/** How long a client should wait before trying again after a dependency outage (s). */
export const DEPENDENCY_RETRY_AFTER_S = 5;

/** SQLSTATE codes of a server that is going away, starting, or refusing connections. */
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown: "terminating connection due to administrator command"
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: "the database system is starting up / shutting down / in recovery"
  '53300', // too_many_connections
  '25006', // read_only_sql_transaction: a former primary after a failover
]);

/** Socket errors of a connection that cannot be made or was cut. */
const TRANSIENT_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTCONN',
  'ECONNABORTED',
  'ENOTFOUND',
]);

/** Messages of drivers and pools that carry no code (pg, pg-pool, knex, ioredis). */
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection ended unexpectedly/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /is not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/i,
  /terminating connection due to administrator command/i,
  /server closed the connection unexpectedly/i,
  /timeout acquiring a connection/i,
  /connection is closed/i,
  /stream isn't writeable/i,
  /reached the max retries per request/i,
];

export function isDependencyUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [err];
  while (pending.length) {
    const e = pending.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const { code, sqlState, name, message, cause, errors } = e as {
      code?: unknown;
      sqlState?: unknown;
      name?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08') || TRANSIENT_SYSCALL_CODES.has(code)))
      return true;
    if (typeof sqlState === 'string' && (TRANSIENT_SQLSTATES.has(sqlState) || sqlState.startsWith('08'))) return true;
    // MikroORM's class for every connection failure it recognises.
    if (name === 'ConnectionException') return true;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(message))) return true;
    pending.push(cause);
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return false;
}
