/** How long `eventually` polls, how often, and what it tells when the condition is not met. */
export interface EventuallyOptions {
  /** 10 s by default. */
  timeoutMs?: number;
  /** Between two checks; 25 ms by default. */
  intervalMs?: number;
  /** What was awaited, for the failure message ("3 replies sent"). */
  what?: string;
  /** Where things stood when the time ran out ("2 so far"), for the failure message. */
  progress?: () => Promise<string> | string;
}

/**
 * The one polling helper of the tests: calls `check` until it returns a value other than undefined
 * and returns it, or fails after the timeout naming what was awaited and how far it got. An error
 * thrown by `check` ends the wait at once (a child process that exited, a wrong status).
 * `options` may be the timeout in ms alone.
 */
export async function eventually<T>(check: () => Promise<T | undefined>, options: number | EventuallyOptions = {}): Promise<T> {
  const {
    timeoutMs = 10_000,
    intervalMs = 25,
    what = 'the condition',
    progress,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms: ${what}${progress ? ` (${await progress()})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
