import { AppError } from './app-error.ts';

/** A provider webhook whose signature does not verify, or whose timestamp is too old (a replay). */
export class WebhookRejectedError extends AppError {
  readonly code = 'webhook_rejected';
  readonly disposition = 'user';
}
