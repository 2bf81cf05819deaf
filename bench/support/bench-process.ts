import { availableParallelism, loadavg } from 'node:os';
import { testSql } from '../../test/support/test-sql.ts';
import type { RoleName } from '../../platform/runtime/role-name.ts';
import { startBenchEnv, type BenchEnv } from './bench-env.ts';

/** The 1, 5 and 15 minute load averages, for the progress lines: a loaded machine explains a slow figure. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/**
 * Starts a bench: prints the load average, starts the product on a database of its own, cleans
 * up on Ctrl-C (call `stopListening` once the bench's own cleanup runs), and prints the server's
 * autovacuum setting (and answers whether it is off). With autovacuum off (this machine's CI
 * configuration), nothing vacuums or analyzes the bench database during a run: plans chosen on the
 * first, small tables are kept and the tables bloat (bench/README.md), unlike in production.
 */
export async function startBench(
  progress: (line: string) => void,
  roles?: RoleName[],
  extraEnv: Record<string, string> = {},
): Promise<{ env: BenchEnv; stopListening: () => void; autovacuumOff: boolean }> {
  progress(`load average at start: ${loadAverage()} (${availableParallelism()} CPUs)`);
  const env = await startBenchEnv(process.env.LOG_LEVEL ?? 'warn', roles, extraEnv);
  const stopListening = cleanUpOnInterrupt(env, progress);
  let setting: string;
  try {
    const { rows } = await testSql<{ setting: string }>(env.orm.em.fork(), `select current_setting('autovacuum') as setting`);
    setting = rows[0]?.setting ?? 'unknown';
    progress(
      `PostgreSQL autovacuum: ${setting}${setting === 'off' ? ' (nothing vacuums or analyzes the bench database during the run; see bench/README.md)' : ''}`,
    );
  } catch (err) {
    stopListening();
    await env.cleanup();
    throw err;
  }
  return { env, stopListening, autovacuumOff: setting === 'off' };
}

/** On Ctrl-C or SIGTERM, drops the bench's database and keys before exiting; returns the function that stops listening. */
export function cleanUpOnInterrupt(env: BenchEnv, progress: (line: string) => void): () => void {
  const interrupted = () => {
    progress('interrupted: cleaning up');
    void env.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return () => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  };
}

/** A command-line option that must be a whole number of at least `min`; the error shows the usage. */
export function wholeNumberOption(name: string, raw: string, usage: string, min = 0): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number of at least ${min}, got "${raw}"\n${usage}`);
  return n;
}
