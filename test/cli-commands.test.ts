import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../platform/db/ensure-database.ts';
import { openOrm } from '../platform/db/orm.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { cliEnv, killRunningClis, runCli } from './support/cli-process.ts';

const created: string[] = [];
afterAll(async () => {
  await killRunningClis();
  for (const url of created) await dropDatabase(url);
});

describe.concurrent('when a service the command needs cannot be reached', () => {
  it('names PostgreSQL and the URL tried, password redacted, in one line, and exits 1', async () => {
    const { env } = cliEnv({ DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/onemessage' });
    const res = await runCli(['start'], env);
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^PostgreSQL is not reachable at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/onemessage: start it .* or set DATABASE_URL$/,
    );
    expect(res.stderr).not.toContain('s3cret');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('names Redis and the URL tried in one line, and exits 1', async () => {
    const { env } = cliEnv({ REDIS_URL: 'redis://127.0.0.1:1' });
    const res = await runCli(['start'], env);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Redis is not reachable at redis:\/\/127\.0\.0\.1:1: start it .* or set REDIS_URL$/),
    ]);
  });

  it('reports an invalid environment variable by name in one line, and exits 1', async () => {
    const { env } = cliEnv({ PORT: 'eighty' });
    const res = await runCli(['api'], env);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Configuration error: invalid environment variable PORT/)]);
  });
});

describe.concurrent('when a command is asked for --help', () => {
  const commands = [
    [],
    ['start'],
    ['api'],
    ['worker'],
    ['connector'],
    ['migrate'],
    ['migrate', 'up'],
    ['migrate', 'down'],
    ['migrate', 'status'],
    ['seed-demo'],
    ['billing', 'reconcile-usage'],
  ];
  it.each(commands.map((c) => [c.join(' ') || '(none)', c] as const))('prints the usage of %s and exits 0', async (_name, args) => {
    const res = await runCli([...args, '--help'], cliEnv().env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Usage: onemessage${args.length ? ' ' + args.join(' ') : ''}`);
  });

  it('lists every command at the top level', async () => {
    const res = await runCli(['--help'], cliEnv().env);
    for (const command of ['start', 'api', 'worker', 'connector', 'migrate', 'seed-demo', 'retention', 'billing'])
      expect(res.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });
});

describe('when migrations are reverted and applied through the CLI', () => {
  it('goes from all pending, to all executed, to none executed with down --all, and back with up', async () => {
    const { env, databaseUrl } = cliEnv();
    created.push(databaseUrl);
    const fresh = await runCli(['migrate', 'status'], env);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/executed: 0\n/);
    expect(fresh.stdout).toMatch(/pending: [1-9]/);

    const up = await runCli(['migrate', 'up'], env);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/applied: [1-9]/);
    const after = await runCli(['migrate', 'status'], env);
    expect(after.stdout).toMatch(/pending: 0\n/);
    expect(after.stdout).toContain('Migration20261125000000_foundation');

    const downOne = await runCli(['migrate', 'down', '--steps', '1'], env);
    expect(downOne.stdout).toMatch(/reverted: 1\n/);
    await runCli(['migrate', 'up'], env);

    const down = await runCli(['migrate', 'down', '--all'], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('Migration20261125000000_foundation');
    expect((await runCli(['migrate', 'status'], env)).stdout).toMatch(/executed: 0\n/);

    const again = await runCli(['migrate', 'up'], env);
    expect(again.code).toBe(0);
    expect((await runCli(['migrate', 'status'], env)).stdout).toMatch(/pending: 0\n/);
  }, 60_000);

  it('refuses --steps 0 with a usage error', async () => {
    const res = await runCli(['migrate', 'down', '--steps', '0'], cliEnv().env);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('must be a whole number of 1 or more');
  });
});

describe("when an operator recounts a workspace's usage", () => {
  /** Each command starts tsx and opens the database; `migrate up` applies every migration. */
  const CLI_RECOUNT_TIMEOUT_MS = 120_000;

  it(
    'replaces the counters with the count from the messages table and prints both, and names a workspace it does not know',
    async () => {
      const { env, databaseUrl } = cliEnv();
      created.push(databaseUrl);
      expect((await runCli(['migrate', 'up'], env, CLI_RECOUNT_TIMEOUT_MS)).code).toBe(0);
      const orm = await openOrm(databaseUrl, { poolMax: 1 });
      const workspaceId = newId();
      try {
        await runSql(orm.em.fork(), `insert into workspaces (id, name) values (:workspaceId, 'Recount')`, { workspaceId });
        // A counter that drifted (a restore from backup, say): no message was sent.
        await runSql(orm.em.fork(), `update billing_usage set automated_messages = 42 where workspace_id = :workspaceId`, { workspaceId });
        const res = await runCli(['billing', 'reconcile-usage', '--workspace', workspaceId], env, CLI_RECOUNT_TIMEOUT_MS);
        expect(res.code, res.stderr).toBe(0);
        expect(res.stdout).toContain("before: 42 automated messages, 0 agents' replies, 0 broadcast recipients\n");
        expect(res.stdout).toContain("after: 0 automated messages, 0 agents' replies, 0 broadcast recipients\n");
        const { rows } = await testSql<{ n: number }>(
          orm.em.fork(),
          `select automated_messages as n from billing_usage where workspace_id = :workspaceId`,
          {
            workspaceId,
          },
        );
        expect(rows[0]!.n).toBe(0);
      } finally {
        await orm.close();
      }
      const unknown = await runCli(['billing', 'reconcile-usage', '--workspace', 'nope'], env, CLI_RECOUNT_TIMEOUT_MS);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim()).toBe('no workspace nope');
    },
    4 * CLI_RECOUNT_TIMEOUT_MS,
  );
});
