import { AppError } from './app-error.ts';

/** The workspace has as many webhook endpoints as allowed: delete one first. */
export class TooManyWebhooksError extends AppError {
  readonly code = 'too_many_webhooks';
  readonly disposition = 'user';
  constructor(readonly max: number) {
    super(`a workspace has at most ${max} webhook endpoints: delete one first`);
  }
}
