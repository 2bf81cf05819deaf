import { AppError } from '../../engine/errors/app-error.ts';

/** The channel's session is not open in this process right now (reconnecting, lease moving): retry later. */
export class SessionNotReadyError extends AppError {
  readonly code = 'whatsapp_session_not_ready';
  readonly disposition = 'retry';
  /** Reconnects and lease moves take seconds; the send looks again without spending an attempt. */
  override readonly deferMs = 5_000;
  constructor(
    readonly channelId: string,
    readonly state: string,
  ) {
    super(`channel ${channelId}: the WhatsApp session is ${state}; the send is retried`);
  }
}

/** WhatsApp restricted the number (403): sending is paused until a person looks; messages stay queued and retry. */
export class SendingPausedError extends AppError {
  readonly code = 'whatsapp_sending_paused';
  readonly disposition = 'retry';
  /** Until a person looks at the number; the messages stay queued and look again every minute. */
  override readonly deferMs = 60_000;
  constructor(readonly channelId: string) {
    super(`channel ${channelId}: sending is paused because WhatsApp restricted the number`);
  }
}

/** The message cannot be sent as it is (no address for the contact, a media kind without a file): never retried. */
export class UnsendableMessageError extends AppError {
  readonly code = 'whatsapp_unsendable';
  readonly disposition = 'never';
  constructor(
    readonly messageId: string,
    reason: string,
  ) {
    super(`message ${messageId} cannot be sent on WhatsApp: ${reason}`);
  }
}

/** WhatsApp (or the network) refused the send this time: retry with backoff. */
export class WhatsappSendFailedError extends AppError {
  readonly code = 'whatsapp_send_failed';
  readonly disposition = 'retry';
  constructor(
    readonly messageId: string,
    options: { cause: unknown },
  ) {
    super(`message ${messageId}: WhatsApp did not accept the send`, options);
  }
}
