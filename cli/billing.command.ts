import { Command } from 'commander';
import { action } from './fail.ts';

export function billingCommand(): Command {
  const reconcile = new Command('reconcile-usage')
    .description(
      "Recount a workspace's usage of its current billing period from the messages table (after a restore, or to check the counters) and print the counters before and after",
    )
    .requiredOption('--workspace <id>', 'the workspace id')
    .action(
      action(async (opts: { workspace: string }) => {
        const { withDatabase } = await import('./database-session.ts');
        const { reconcileUsage } = await import('../platform/billing/usage-reconcile.ts');
        const { runSql } = await import('../platform/pipeline/run-sql.ts');
        await withDatabase(async (orm) => {
          const em = orm.em.fork();
          const found = await runSql(em, `select 1 from billing_usage where workspace_id::text = :workspaceId`, {
            workspaceId: opts.workspace,
          });
          if (found.rowCount === 0) {
            process.stderr.write(`no workspace ${opts.workspace}\n`);
            process.exitCode = 1;
            return;
          }
          const { before, after } = await reconcileUsage(em, opts.workspace);
          const line = (c: typeof before) =>
            `${c.automatedMessages} automated messages, ${c.agentMessages} agents' replies, ${c.broadcastRecipients} broadcast recipients`;
          console.log(`before: ${line(before)}`);
          console.log(`after: ${line(after)}`);
        });
      }),
    );
  return new Command('billing').description('Billing (see README: Billing)').addCommand(reconcile);
}
