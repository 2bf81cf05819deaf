/**
 * Ends the process after a command failed. An error a person can fix (configuration, a service
 * not running) is one line on stderr; anything else is a bug and keeps its stack trace.
 */
export async function failAndExit(err: unknown): Promise<never> {
  // Loaded on failure only: `--help` stays fast when nothing heavy is imported up front.
  const { startupErrorLine } = await import('../platform/runtime/startup-error.ts');
  const line = startupErrorLine(err);
  if (line) process.stderr.write(line + '\n');
  else process.stderr.write(`onemessage: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

/** Wraps a command's action so that every failure goes through failAndExit. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      await failAndExit(err);
    }
  };
}
