import { Command } from 'commander';
import { systemClock } from '../engine/clock.ts';
import { loadConfig } from '../platform/config.ts';
import { openOrm } from '../platform/db/orm.ts';
import { checkPostgres } from '../platform/dependencies.ts';
import { createLogger } from '../platform/logger.ts';
import { createDatabaseIfMissing, migrateWithLock } from '../platform/runtime/prepare-database.ts';
import { seedDemo } from '../platform/seed/seed-demo.ts';
import { action } from './fail.ts';

export function seedDemoCommand(): Command {
  return new Command('seed-demo')
    .description('Create the demo workspace and its owner (DEMO_EMAIL / DEMO_PASSWORD) if missing; applies pending migrations first. Safe to run again: an existing demo user keeps their password')
    .action(
      action(async () => {
        const warnings: string[] = [];
        const config = loadConfig(process.env, (msg) => warnings.push(msg));
        const logger = createLogger(config.logLevel);
        for (const w of warnings) logger.warn(w);
        await checkPostgres(config.databaseUrl);
        await createDatabaseIfMissing(config.databaseUrl, logger);
        const orm = await openOrm(config.databaseUrl, { poolMax: 2 });
        try {
          await migrateWithLock(orm, config.databaseUrl);
          const result = await seedDemo(orm, { email: config.demo.email, password: config.demo.password, clock: systemClock });
          console.log(result.createdWorkspace ? `demo workspace created (${result.workspaceId})` : `demo workspace already present (${result.workspaceId})`);
          console.log(result.createdUser ? `demo user created: ${config.demo.email}` : `demo user present: ${config.demo.email} (password unchanged)`);
        } finally {
          await orm.close();
        }
      }),
    );
}
