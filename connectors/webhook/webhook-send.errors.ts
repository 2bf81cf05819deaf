import { AppError } from '../../engine/errors/app-error.ts';

/** The receiving service answered 5xx or 429: it may accept the same message later. */
export class WebhookDeliveryRetryError extends AppError {
  readonly code = 'webhook_delivery_retry';
  readonly disposition = 'retry';
  constructor(
    readonly channelId: string,
    readonly status: number,
  ) {
    super(`channel ${channelId}: the webhook answered ${status}; the send is retried`);
  }
}

/** The receiving service refused the message (4xx other than 429), or the channel cannot send: never retried. */
export class WebhookDeliveryRefusedError extends AppError {
  readonly code = 'webhook_delivery_refused';
  readonly disposition = 'never';
  constructor(
    readonly channelId: string,
    reason: string,
  ) {
    super(`channel ${channelId}: ${reason}`);
  }
}
