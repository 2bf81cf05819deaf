import { Command } from 'commander';
import { ROLE_NAMES, type RoleName } from '../platform/runtime/role-name.ts';
import { billingCommand } from './billing.command.ts';
import { action } from './fail.ts';
import { migrateCommand } from './migrate.command.ts';
import { retentionCommand } from './retention.command.ts';
import { seedDemoCommand } from './seed-demo.command.ts';

// Commands import their implementation when they run, so that `--help` loads commander only.

const ROLE_HELP: Record<RoleName, string> = {
  api: 'Serve the HTTP API, the editor, health, metrics and the queue dashboard (creates and migrates the database, seeds the demo workspace)',
  worker: 'Run the background jobs: flow runs (inbox drains, timers, schedules), broadcast starts and recurrences, and the reconcilers',
  connector: 'Host the channel connectors (sandbox, WhatsApp, webhook), their send workers and broadcast batches',
};

function roleCommand(name: string, roles: readonly RoleName[], description: string): Command {
  return new Command(name).description(description).action(
    action(async () => {
      const { runRoles } = await import('../platform/runtime/run-roles.ts');
      // The process then lives on its server and workers until SIGINT or SIGTERM.
      await runRoles(roles);
    }),
  );
}

const program = new Command('onemessage')
  .description('OneMessage: self-hostable messaging automation. Configuration comes from the environment (see README.md).')
  .showHelpAfterError()
  .addCommand(
    roleCommand(
      'start',
      ROLE_NAMES,
      'Run the api, worker and connector roles in one process (creates and migrates the database, seeds the demo workspace)',
    ),
  )
  .addCommand(roleCommand('api', ['api'], ROLE_HELP.api))
  .addCommand(roleCommand('worker', ['worker'], ROLE_HELP.worker))
  .addCommand(roleCommand('connector', ['connector'], ROLE_HELP.connector))
  .addCommand(migrateCommand())
  .addCommand(seedDemoCommand())
  .addCommand(retentionCommand())
  .addCommand(billingCommand());

await program.parseAsync(process.argv);
