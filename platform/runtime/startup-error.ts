import { ConfigError } from '../config-error.ts';
import { DependencyUnreachableError } from '../dependencies.ts';

/**
 * A start-up failure whose message is the whole story for the person at the terminal: printed
 * as one line on stderr, without a stack trace, and the process exits 1.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** The one line to print for an error a person can fix, or null for an unexpected error (a bug). */
export function startupErrorLine(err: unknown): string | null {
  if (err instanceof ConfigError) return `Configuration error: ${err.message}`;
  if (err instanceof DependencyUnreachableError || err instanceof StartupError) return err.message;
  return null;
}
