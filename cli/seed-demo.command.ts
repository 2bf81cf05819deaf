import { Command } from 'commander';
import { action } from './fail.ts';

export function seedDemoCommand(): Command {
  return new Command('seed-demo')
    .description(
      'Create the demo workspace and its owner (DEMO_EMAIL / DEMO_PASSWORD) if missing; applies pending migrations first. Safe to run again: an existing demo user keeps their password',
    )
    .action(
      action(async () => {
        const { withDatabase } = await import('./database-session.ts');
        const { migrateWithLock } = await import('../platform/runtime/prepare-database.ts');
        const { seedDemo } = await import('../platform/seed/seed-demo.ts');
        const { systemClock } = await import('../engine/clock.ts');
        await withDatabase(async (orm, config) => {
          await migrateWithLock(orm, config.databaseUrl);
          const result = await seedDemo(orm, { email: config.demo.email, password: config.demo.password, clock: systemClock });
          console.log(
            result.createdWorkspace
              ? `demo workspace created (${result.workspaceId})`
              : `demo workspace already present (${result.workspaceId})`,
          );
          console.log(
            result.createdUser ? `demo user created: ${config.demo.email}` : `demo user present: ${config.demo.email} (password unchanged)`,
          );
        });
      }),
    );
}
