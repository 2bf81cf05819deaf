import type pg from 'pg';
import { eventually } from './eventually.ts';

/**
 * Until `n` statements of `client`'s database wait for a lock (a row another transaction of the
 * test holds): the statement under test has reached the lock, rather than a guess that it had.
 */
export async function untilWaitingForLock(client: pg.Client, what: string, n = 1): Promise<void> {
  let waiting = 0;
  await eventually(
    async () => {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      waiting = rows[0]!.n;
      return waiting >= n ? true : undefined;
    },
    { timeoutMs: 5_000, intervalMs: 10, what, progress: () => `${waiting} waiting for a lock` },
  );
}
