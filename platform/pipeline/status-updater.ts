import { statusesBefore, type OutboundStatus } from '../../engine/messages/message-status.ts';
import type { ProviderStatusUpdate } from '../../engine/ports/channel-connector.port.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { runSql } from './run-sql.ts';

/** Statuses a provider may skip on the way to another: a read message was delivered and sent. */
const IMPLIED_BEFORE: Record<ProviderStatusUpdate['status'], OutboundStatus[]> = {
  sent: [],
  delivered: ['sent'],
  read: ['sent', 'delivered'],
  failed: [],
};

/*
 * One guarded UPDATE: the WHERE clause admits only the statuses the message may leave for the
 * new one, so a repeated, late or backward update changes nothing, even when two arrive at once.
 * status_times: implied statuses that have no time yet get this update's time (left of the
 * merge, so that times already recorded win), then the new status's own time.
 */
const APPLY_SQL = `
update messages
   set status = :toStatus,
       status_times = cast(:impliedTimes as jsonb) || status_times || cast(:reachedTimes as jsonb),
       failure_reason = case when :toStatus = 'failed' then cast(:reason as text) else failure_reason end
 where channel_id = cast(:channelId as uuid)
   and provider_message_id = :providerMessageId
   and direction = 'outbound'
   and status = any(string_to_array(:fromStatuses, ','))`;

/** Applies provider status updates (sent, delivered, read, failed) to outbound messages, forward only. */
export class StatusUpdater {
  constructor(private readonly deps: { orm: Orm; logger: Logger }) {}

  /** Moves the message forward and records when; returns false when the update was stale, repeated or unknown. */
  async apply(update: ProviderStatusUpdate): Promise<boolean> {
    const at = update.at.toISOString();
    const implied = Object.fromEntries(IMPLIED_BEFORE[update.status].map((s) => [s, at]));
    const { rowCount } = await runSql(this.deps.orm.em.fork(), APPLY_SQL, {
      toStatus: update.status,
      impliedTimes: JSON.stringify(implied),
      reachedTimes: JSON.stringify({ [update.status]: at }),
      reason: update.status === 'failed' ? (update.reason ?? 'the provider reported a failure') : null,
      channelId: update.channelId,
      providerMessageId: update.providerMessageId,
      fromStatuses: statusesBefore(update.status).join(','),
    });
    if (rowCount === 0) this.deps.logger.debug({ update }, 'status update ignored (stale, repeated or unknown message)');
    return rowCount > 0;
  }
}
