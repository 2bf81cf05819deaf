import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import { AppError, RateLimitedError } from '../engine/errors/app-error.ts';
import { DEPENDENCY_RETRY_AFTER_S, isDependencyUnavailable } from '../platform/dependency-unavailable.ts';
import type { Logger } from '../platform/logger.ts';

/** HTTP status per stable error code. */
const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  malformed_json: 400,
  body_too_deep: 400,
  nul_character: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_token_invalid: 403,
  wrong_password: 403,
  not_found: 404,
  route_not_found: 404,
  conflict: 409,
  wrong_channel_kind: 409,
  contact_unreachable: 409,
  draft_conflict: 409,
  flow_not_published: 409,
  no_sandbox_channel: 409,
  flow_invalid: 400,
  broadcast_invalid: 400,
  broadcast_state_conflict: 409,
  secret_in_use: 409,
  template_in_use: 409,
  secret_name_taken: 409,
  too_many_webhooks: 409,
  legal_hold: 409,
  sole_owner: 409,
  retention_sweep_running: 409,
  export_not_ready: 409,
  invitation_email_mismatch: 403,
  gone: 410,
  invitation_expired: 410,
  invitation_used: 410,
  invitation_revoked: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  quota_exceeded: 402,
  plan_limit_reached: 402,
  billing_disabled: 409,
  webhook_rejected: 400,
  unavailable: 503,
};

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export const ApiErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

export function sendError(res: Response, status: number, code: string, message: string, details?: unknown): void {
  const body: ApiErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  res.status(status).json(body);
}

/** The last middleware: every error becomes `{ error: { code, message, details? } }`. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof AppError) {
      if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      const status = STATUS_BY_CODE[err.code] ?? (err.disposition === 'user' ? 400 : 500);
      if (status === 503)
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil((err.deferMs ?? DEPENDENCY_RETRY_AFTER_S * 1000) / 1000))));
      return sendError(res, status, err.code, err.message, err.details);
    }
    // body-parser's own errors carry `type`.
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') return sendError(res, 400, 'malformed_json', 'the request body is not valid JSON');
    if (type === 'entity.too.large')
      return sendError(res, 413, 'payload_too_large', `the request body is larger than ${(err as { limit?: number }).limit} bytes`);
    if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      return sendError(res, 415, 'unsupported_media_type', 'the request body encoding is not supported');
    // A database or Redis that is restarting is a passing condition, not a bug: the client tries again.
    if (isDependencyUnavailable(err)) {
      logger.warn({ err, reqId: (req as { id?: string }).id }, 'a dependency is unavailable');
      res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_S));
      return sendError(
        res,
        503,
        'unavailable',
        'the service is briefly unavailable (its database or queue is not answering); try again shortly',
      );
    }
    logger.error({ err, reqId: (req as { id?: string }).id }, 'unhandled error');
    sendError(res, 500, 'internal', 'an internal error occurred; it has been logged');
  };
}
