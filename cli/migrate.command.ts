import { Command, InvalidArgumentError, Option } from 'commander';
import { action } from './fail.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return n;
}

function list(label: string, names: string[]): void {
  console.log(`${label}: ${names.length}`);
  for (const name of names) console.log(`  ${name}`);
}

/** `migrate up|down|status`. Each creates the database when missing, so `status` on a fresh install lists everything as pending. */
export function migrateCommand(): Command {
  const migrate = new Command('migrate').description('Apply, revert or list database migrations (DATABASE_URL)');

  migrate
    .command('up')
    .description('Apply every pending migration (creates the database if it does not exist)')
    .action(
      action(async () => {
        const { withDatabase } = await import('./database-session.ts');
        const { migrateWithLock } = await import('../platform/runtime/prepare-database.ts');
        await withDatabase(async (orm, config) => list('applied', await migrateWithLock(orm, config.databaseUrl)));
      }),
    );

  migrate
    .command('down')
    .description('Revert the last migration, the last N with --steps, or all of them with --all')
    .addOption(new Option('--steps <n>', 'how many migrations to revert').argParser(positiveInt).conflicts('all'))
    .option('--all', 'revert every migration (drops every table)')
    .action(
      action(async (opts: { steps?: number; all?: boolean }) => {
        const { withDatabase } = await import('./database-session.ts');
        const { migrateDown } = await import('../platform/db/migrate.ts');
        await withDatabase(async (orm) => list('reverted', await migrateDown(orm, { steps: opts.steps ?? 1, all: opts.all ?? false })));
      }),
    );

  migrate
    .command('status')
    .description('List executed and pending migrations')
    .action(
      action(async () => {
        const { withDatabase } = await import('./database-session.ts');
        const { readMigrationStatus } = await import('../platform/runtime/prepare-database.ts');
        await withDatabase(async (orm) => {
          const status = await readMigrationStatus(orm);
          list('executed', status.executed);
          list('pending', status.pending);
        });
      }),
    );

  return migrate;
}
