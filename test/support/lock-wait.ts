import type pg from 'pg';
import { eventually } from './eventually.ts';

/**
 * Until `n` statements of `client`'s database wait for a lock (a row another transaction of the
 * test holds): the statement under test has reached the lock, rather than a guess that it had.
 */
export async function untilWaitingForLock(client: pg.Client, what: string, n = 1, timeoutMs = 5_000): Promise<void> {
  let waiting = 0;
  await eventually(
    async () => {
      // Inside a transaction (the holder's), PostgreSQL keeps its first look at pg_stat_activity until
      // the transaction ends: a fresh look at each try.
      await client.query('select pg_stat_clear_snapshot()');
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      waiting = rows[0]!.n;
      return waiting >= n ? true : undefined;
    },
    { timeoutMs, intervalMs: 10, what, progress: () => `${waiting} waiting for a lock` },
  );
}
