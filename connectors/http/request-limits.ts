/** Upper bound of one request's total time, redirects included (the limit for the HTTP request node). */
export const MAX_TIMEOUT_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = MAX_TIMEOUT_MS;
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576; // 1 MiB
export const DEFAULT_MAX_REDIRECTS = 5;

/** The deadline a request actually gets: its own timeout or the client's default, never above `MAX_TIMEOUT_MS`. */
export function effectiveTimeoutMs(requestedMs: number | undefined, defaultMs: number): number {
  return Math.min(requestedMs ?? defaultMs, MAX_TIMEOUT_MS);
}
