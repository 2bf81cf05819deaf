import { AppError } from '../../engine/errors/app-error.ts';

/**
 * A write to a WhatsApp session's auth state carried a fencing token older than the newest one
 * that wrote: another process has taken the channel's lease since. The writer must stop its
 * socket at once (its view of the keys is stale), never retry.
 */
export class StaleFenceError extends AppError {
  readonly code = 'stale_fencing_token';
  readonly disposition = 'never';
  constructor(
    readonly channelId: string,
    readonly fenceToken: number,
  ) {
    super(`channel ${channelId}: fencing token ${fenceToken} is stale; another process holds the session`);
  }
}
