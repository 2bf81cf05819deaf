import { Command, InvalidArgumentError } from 'commander';
import { action } from './fail.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/** How often a waiting run looks again whether a dead runner's lease has expired. */
const LEASE_POLL_MS = 1_000;

export function retentionCommand(): Command {
  const sweep = new Command('sweep')
    .description(
      "Run a workspace's retention sweep now, in this process, with its policy; resumes the workspace's unfinished sweep if one was interrupted (after its runner's lease expires). --dry-run counts what would be deleted and deletes nothing",
    )
    .requiredOption('--workspace <id>', 'the workspace id')
    .option('--dry-run', 'count only, delete nothing', false)
    .option('--batch-rows <n>', 'rows deleted per transaction', positiveInt)
    .action(
      action(async (opts: { workspace: string; dryRun: boolean; batchRows?: number }) => {
        const { withDatabase } = await import('./database-session.ts');
        const { runCliSweep } = await import('../connectors/retention/cli-sweep.ts');
        await withDatabase(async (orm, config) => {
          const result = await runCliSweep({
            orm,
            config,
            workspaceId: opts.workspace,
            dryRun: opts.dryRun,
            batchRows: opts.batchRows,
            pollMs: LEASE_POLL_MS,
            print: (line) => console.log(line),
          });
          process.exitCode = result === 'completed' ? 0 : 1;
        });
      }),
    );
  return new Command('retention').description('Retention sweeps (see README: Privacy and retention)').addCommand(sweep);
}
