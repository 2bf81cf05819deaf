import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/** What a sweep's backend is called in `pg_stat_activity` while a batch runs (an operator sees which backend is the sweep). */
export const SWEEP_APPLICATION_NAME = 'onemessage retention sweep';

/**
 * How the WAL of a batch's full-page images is compressed: `lz4` where the server has it, `pglz`
 * (`on`) otherwise; null when this connection may not set `wal_compression` (PostgreSQL before 15,
 * or a role without the `SET` privilege on it), or the server compresses already.
 */
export type WalCompression = 'lz4' | 'on' | null;

/**
 * Whether a sweep may compress its batches' WAL, asked once per sweep. Full-page images are most
 * of a sweep's WAL (README "What made the live traffic slow during a sweep"): the first change to
 * each heap page after a checkpoint writes the whole page. `wal_compression` is a superuser
 * setting that a role may be granted (PostgreSQL 15); without it the sweep runs as before.
 */
/** `lz4` is null where wal_compression is no enum (`enumvals` null: a boolean before PostgreSQL 15). */
const WalCompressionRow = z.object({ may: z.boolean(), current: z.string(), lz4: z.boolean().nullable() });

export async function walCompressionFor(em: EntityManager): Promise<WalCompression> {
  try {
    const row = (
      await runSql(
        em,
        `select has_parameter_privilege('wal_compression', 'SET') as may, current_setting('wal_compression') as current,
                'lz4' = any(enumvals) as lz4
           from pg_settings where name = 'wal_compression'`,
        {},
        { row: WalCompressionRow },
      )
    ).rows[0];
    if (!row?.may || row.current !== 'off') return null;
    return row.lz4 ? 'lz4' : 'on';
  } catch {
    // has_parameter_privilege is new in PostgreSQL 15: an older server keeps its own setting.
    return null;
  }
}

const BATCH_SETTINGS_SQL = `select set_config('synchronous_commit', 'off', true), set_config('application_name', cast(:app as text), true)`;
const BATCH_SETTINGS_COMPRESSED_SQL = `select set_config('synchronous_commit', 'off', true), set_config('application_name', cast(:app as text), true),
                                             set_config('wal_compression', cast(:wal as text), true)`;

/**
 * The settings of one batch's transaction, in one round trip, reset at its end:
 * - `synchronous_commit` off (a batch after which files leave the disk turns it on again before
 *   it commits: README, invariant 7);
 * - the application name, so the sweep's backend is told apart from live traffic;
 * - `wal_compression`, when the sweep may set it.
 */
export async function setUpBatch(tx: EntityManager, walCompression: WalCompression): Promise<void> {
  if (walCompression) await runSql(tx, BATCH_SETTINGS_COMPRESSED_SQL, { app: SWEEP_APPLICATION_NAME, wal: walCompression });
  else await runSql(tx, BATCH_SETTINGS_SQL, { app: SWEEP_APPLICATION_NAME });
}

const COUNT_SETTINGS_SQL = `select set_config('application_name', cast(:app as text), true), set_config('max_parallel_workers_per_gather', '0', true)`;

/**
 * The settings of the transaction in which a sweep counts what it will delete (one statement per
 * kind, the longest of the sweep: 0.6 s for 1,000,000 expired messages), reset at its end:
 * - the application name, so `pg_stat_activity` tells the counts apart from live traffic;
 * - no parallel workers (`max_parallel_workers_per_gather` 0): the count of the expired messages is
 *   a scan that PostgreSQL otherwise runs in three processes (the backend and two workers), which on
 *   a machine of two cores left the live traffic no core for half a second at the start of each
 *   sweep (bench/README.md, session 12). In one process it takes one core, like a batch.
 */
export async function setUpCounts(tx: EntityManager): Promise<void> {
  await runSql(tx, COUNT_SETTINGS_SQL, { app: SWEEP_APPLICATION_NAME });
}
