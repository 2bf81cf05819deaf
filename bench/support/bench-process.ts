import { loadavg } from 'node:os';
import type { BenchEnv } from './bench-env.ts';

/** The 1, 5 and 15 minute load averages, for the progress lines: a loaded machine explains a slow figure. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
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
