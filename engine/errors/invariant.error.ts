/**
 * Something the code relies on does not hold: a bug, or a row changed behind the code's back (a
 * run waiting on no node, a flow version that is gone). `subject` names what it is about, for logs.
 *
 * Deliberately not an AppError: it has no disposition for a caller to act on, so every boundary
 * treats it as the unexpected error it is, as it treated the plain Error this replaces: the API
 * logs it and answers 500 `internal` without its message, a job is retried, a drain counts it as
 * a handling failure.
 */
export class InvariantError extends Error {
  constructor(
    message: string,
    readonly subject: Readonly<Record<string, string | number | null>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InvariantError';
  }
}
