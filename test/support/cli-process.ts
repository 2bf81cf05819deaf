import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TEST_PG_BASE, TEST_REDIS_URL } from './test-env.ts';
import { eventually } from './eventually.ts';

export const BIN = fileURLToPath(new URL('../../bin/onemessage.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Environment for a CLI child of its own: a fresh database name, a Redis prefix, a fixed key, quiet logs. */
export function cliEnv(overrides: Record<string, string> = {}): { env: NodeJS.ProcessEnv; id: string; databaseUrl: string } {
  const id = randomBytes(6).toString('hex');
  const databaseUrl = `${TEST_PG_BASE}/om_test_cli_${id}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `omtest:cli${id}`,
    ONEMESSAGE_SECRET_KEY: randomBytes(32).toString('hex'),
    ONEMESSAGE_DATA_DIR: `/tmp/onemessage-test-${id}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    HOST: '127.0.0.1',
    ...overrides,
  };
  return { env, id, databaseUrl };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `onemessage <args>` to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  const child = spawnCli(args, env);
  const out = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, ...out() };
}

/** CLI children not exited yet: a test that timed out leaves its child running. */
const running = new Set<ChildProcess>();

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * Kills the CLI children still running and waits for them: called before a test file drops its
 * databases, so that a child left by a timed-out test cannot create one again afterwards.
 */
export async function killRunningClis(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

/** Accumulates a child's output; call the returned function to read it so far. */
export function collect(child: ChildProcess): () => { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return () => ({ stdout, stderr });
}

/** A TCP port that was free a moment ago (the child binds it itself, so PORT=0 would not tell us where). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `url` until it answers `status`, or throws after `timeoutMs`. Returns the elapsed ms. */
export async function waitForStatus(url: string, status: number, timeoutMs: number, child?: ChildProcess): Promise<number> {
  const started = Date.now();
  let last = 'no answer yet';
  return eventually(
    async () => {
      if (child && child.exitCode !== null) throw new Error(`the process exited with ${child.exitCode} before ${url} answered ${status}`);
      try {
        const res = await fetch(url);
        last = `last answer ${res.status}`;
        return res.status === status ? Date.now() - started : undefined;
      } catch {
        return undefined; // Not listening yet.
      }
    },
    { timeoutMs, intervalMs: 100, what: `${url} to answer ${status}`, progress: () => last },
  );
}
