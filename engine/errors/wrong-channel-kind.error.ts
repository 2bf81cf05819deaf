import { AppError } from './app-error.ts';

/** The operation exists only for another kind of channel (a sandbox message sent to a WhatsApp channel). */
export class WrongChannelKindError extends AppError {
  readonly code = 'wrong_channel_kind';
  readonly disposition = 'user';
  constructor(
    readonly channelId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`channel ${channelId} is a ${actual} channel; this needs a ${expected} channel`);
  }
}
