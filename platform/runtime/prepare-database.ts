import pg from 'pg';
import type { Clock } from '../../engine/clock.ts';
import { ensureDatabase } from '../db/ensure-database.ts';
import { migrateUp, migrationStatus, type MigrationStatus } from '../db/migrate.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { seedDemo } from '../seed/seed-demo.ts';
import { StartupError } from './startup-error.ts';

/** An arbitrary constant naming the "migrations running" advisory lock for this application. */
const MIGRATION_LOCK_KEY = 0x6f6d_6d67; // "ommg"

/**
 * Runs pending migrations while another connection holds the "migrations running" advisory lock,
 * so that two processes started at once do not both try to create the same tables: the second
 * waits, then finds nothing pending. The lock is transaction-scoped, taken in a transaction left
 * open while the migrations run: a pooler in transaction mode (PgBouncer) keeps one server
 * connection for an open transaction and releases the lock with it. A session lock would stay
 * held on a pooled server connection after this process ended, and the next start would wait
 * for it forever.
 */
export async function migrateWithLock(orm: Orm, databaseUrl: string): Promise<string[]> {
  const lock = new pg.Client({ connectionString: databaseUrl });
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('begin');
    await lock.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await migrateUp(orm);
    await lock.query('commit');
    return applied;
  } finally {
    // Ending the connection ends its transaction (and the lock) if the commit was never sent.
    await lock.end().catch(() => undefined);
  }
}

/** Creates the database when missing; the ORM can then be opened on it. */
export async function createDatabaseIfMissing(databaseUrl: string, logger: Logger): Promise<void> {
  if (await ensureDatabase(databaseUrl)) logger.info('database created');
}

/** What `start` and `api` do before serving: migrate, then seed the demo workspace. */
export async function prepareDatabase(
  orm: Orm,
  opts: { databaseUrl: string; demo: { email: string; password: string }; clock: Clock; logger: Logger },
): Promise<void> {
  const applied = await migrateWithLock(orm, opts.databaseUrl);
  opts.logger.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
  const seeded = await seedDemo(orm, { email: opts.demo.email, password: opts.demo.password, clock: opts.clock });
  opts.logger.info(
    { workspaceId: seeded.workspaceId, created: seeded.createdWorkspace },
    seeded.createdWorkspace ? `demo workspace created; log in as ${opts.demo.email}` : 'demo workspace present',
  );
}

/**
 * The migration status, safe on a database that has never been migrated: `migrationStatus` asks
 * for executed and pending migrations at once, and on a fresh database both would create the
 * migrations table and one fails ("type mikro_orm_migrations already exists"). Listing the
 * executed ones first creates the table alone.
 */
export async function readMigrationStatus(orm: Orm): Promise<MigrationStatus> {
  await orm.getMigrator().getExecutedMigrations();
  return migrationStatus(orm);
}

/** Worker and connector processes do not migrate: they refuse to start on a schema that is behind. */
export async function requireMigratedSchema(orm: Orm): Promise<void> {
  const { pending } = await readMigrationStatus(orm);
  if (pending.length) {
    throw new StartupError(
      `the database schema is behind (${pending.length} pending migration(s)): run \`onemessage migrate up\` or start an api process first`,
    );
  }
}
