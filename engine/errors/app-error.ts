/**
 * Errors are classified by the caller's next move:
 * - `user`: the caller sent something wrong; fix the input, do not retry as is.
 * - `retry`: a passing condition (a service down, a lock taken); the same call may succeed later.
 * - `never`: retrying cannot help (a bug, a permanently refused send); stop and record it.
 */
export type ErrorDisposition = 'user' | 'retry' | 'never';

export abstract class AppError extends Error {
  /** Stable, machine-readable code; API clients match on it, never on the message. */
  abstract readonly code: string;
  abstract readonly disposition: ErrorDisposition;
  readonly details?: unknown;
  /**
   * On a `retry` error: the condition is expected to last a while (a rate cap, a session that is
   * reconnecting), so the caller should wait this long and try again without counting an attempt.
   */
  readonly deferMs?: number;

  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.details !== undefined) this.details = options.details;
  }
}

/** The caller's input is invalid; `details` lists the problems. */
export class ValidationError extends AppError {
  readonly code = 'validation_failed';
  readonly disposition = 'user';
}

/** The resource does not exist in the caller's workspace (also used to hide other workspaces' resources). */
export class NotFoundError extends AppError {
  readonly code = 'not_found';
  readonly disposition = 'user';
  constructor(
    readonly resource: string,
    readonly id?: string,
  ) {
    super(id ? `${resource} ${id} was not found` : `${resource} was not found`);
  }
}

/** The request conflicts with the current state (a duplicate email, a stale version). */
export class ConflictError extends AppError {
  readonly code = 'conflict';
  readonly disposition = 'user';
}

/** No valid credentials were presented. */
export class UnauthenticatedError extends AppError {
  readonly code = 'unauthenticated';
  readonly disposition = 'user';
}

/** The caller is a member of the workspace but their role does not allow this. */
export class ForbiddenError extends AppError {
  readonly code = 'forbidden';
  readonly disposition = 'user';
  constructor(readonly requiredRoles: readonly string[]) {
    super(`this action needs one of the roles: ${requiredRoles.join(', ')}`);
  }
}

/** Too many attempts; try again after `retryAfterSeconds`. */
export class RateLimitedError extends AppError {
  readonly code = 'rate_limited';
  readonly disposition = 'retry';
  override readonly deferMs: number;
  constructor(readonly retryAfterSeconds: number) {
    super(`too many attempts; try again in ${retryAfterSeconds} s`);
    this.deferMs = retryAfterSeconds * 1000;
  }
}

/** A dependency (database, Redis, provider) is not reachable right now. */
export class UnavailableError extends AppError {
  readonly code = 'unavailable';
  readonly disposition = 'retry';
}

/** A failure that retrying cannot fix. */
export class PermanentError extends AppError {
  readonly code = 'permanent_failure';
  readonly disposition = 'never';
}
