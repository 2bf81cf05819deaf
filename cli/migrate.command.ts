import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../platform/config.ts';
import { redactUrl } from '../platform/db/ensure-database.ts';
import { migrateDown, migrationStatus } from '../platform/db/migrate.ts';
import { openOrm, type Orm } from '../platform/db/orm.ts';
import { checkPostgres } from '../platform/dependencies.ts';
import { createLogger } from '../platform/logger.ts';
import { createDatabaseIfMissing, migrateWithLock } from '../platform/runtime/prepare-database.ts';
import { action } from './fail.ts';

/** Opens the database for a migrate command (created when missing, so that `status` on a fresh install lists everything as pending). */
async function withOrm(fn: (orm: Orm, databaseUrl: string) => Promise<void>): Promise<void> {
  const warnings: string[] = [];
  const config = loadConfig(process.env, (msg) => warnings.push(msg));
  const logger = createLogger(config.logLevel);
  for (const w of warnings) logger.warn(w);
  await checkPostgres(config.databaseUrl);
  await createDatabaseIfMissing(config.databaseUrl, logger);
  const orm = await openOrm(config.databaseUrl, { poolMax: 2 });
  try {
    console.log(`database: ${redactUrl(config.databaseUrl)}`);
    await fn(orm, config.databaseUrl);
  } finally {
    await orm.close();
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return n;
}

function list(label: string, names: string[]): void {
  console.log(`${label}: ${names.length}`);
  for (const name of names) console.log(`  ${name}`);
}

export function migrateCommand(): Command {
  const migrate = new Command('migrate').description('Apply, revert or list database migrations (DATABASE_URL)');

  migrate
    .command('up')
    .description('Apply every pending migration (creates the database if it does not exist)')
    .action(
      action(async () => {
        await withOrm(async (orm, url) => list('applied', await migrateWithLock(orm, url)));
      }),
    );

  migrate
    .command('down')
    .description('Revert the last migration, the last N with --steps, or all of them with --all')
    .option('--steps <n>', 'how many migrations to revert', positiveInt)
    .option('--all', 'revert every migration (drops every table)')
    .action(
      action(async (opts: { steps?: number; all?: boolean }) => {
        if (opts.steps !== undefined && opts.all) throw new InvalidArgumentError('use either --steps or --all, not both');
        await withOrm(async (orm) => list('reverted', await migrateDown(orm, { steps: opts.steps ?? 1, all: opts.all ?? false })));
      }),
    );

  migrate
    .command('status')
    .description('List executed and pending migrations')
    .action(
      action(async () => {
        await withOrm(async (orm) => {
          const status = await migrationStatus(orm);
          list('executed', status.executed);
          list('pending', status.pending);
        });
      }),
    );

  return migrate;
}
