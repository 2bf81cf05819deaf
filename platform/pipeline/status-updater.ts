import { z } from 'zod';
import { statusesBefore, type OutboundStatus } from '../../engine/messages/message-status.ts';
import type { ProviderStatusUpdate } from '../../engine/ports/channel-connector.port.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { GroupCommit } from './group-commit.ts';
import { runSql } from './run-sql.ts';
import { emitEvents } from '../webhooks/webhook-events.ts';
import { messageStatusEvents } from '../webhooks/event-payloads.ts';

/** Statuses a provider may skip on the way to another: a read message was delivered and sent. */
const IMPLIED_BEFORE: Record<ProviderStatusUpdate['status'], OutboundStatus[]> = {
  sent: [],
  delivered: ['sent'],
  read: ['sent', 'delivered'],
  failed: [],
};

/*
 * One guarded UPDATE for a batch: the WHERE clause admits only the statuses a message may leave
 * for its new one, so a repeated, late or backward update changes nothing, even when two arrive
 * at once. status_times: implied statuses that have no time yet get the update's time (left of
 * the merge, so that times already recorded win), then the new status's own time. Answers the
 * input positions that changed a row.
 */
const APPLY_BATCH_SQL = `
with input as (
  select * from jsonb_to_recordset(cast(:updates as jsonb))
    as u(i int, channel_id uuid, provider_message_id text, to_status text, implied jsonb, reached jsonb, reason text, from_statuses text[])
),
-- One unique-index probe per update, and the rows to update found by primary key (\`= any(array)\`):
-- a plain join lets the planner hash-join a whole scan of messages, as it did under load.
target as materialized (
  select input.*, found.id as message_id
    from input cross join lateral (
      select m.id from messages m
       where m.channel_id = input.channel_id and m.provider_message_id = input.provider_message_id and m.direction = 'outbound'
       limit 1
    ) found
)
update messages m
   set status = target.to_status,
       status_times = target.implied || m.status_times || target.reached,
       failure_reason = case when target.to_status = 'failed' then target.reason else m.failure_reason end
  from target
 where m.id = any(array(select message_id from target)) and m.id = target.message_id
   and m.status = any(target.from_statuses)
returning target.i, m.id as "messageId", m.workspace_id as "workspaceId", m.channel_id as "channelId", m.conversation_id as "conversationId",
          m.contact_id as "contactId", target.to_status as status, target.reason as "failureReason", cast(target.reached ->> target.to_status as timestamptz) as at`;
/** A message APPLY_BATCH_SQL moved, and the input position `i` that moved it (a StatusChange of the webhook events). */
const AppliedStatusRow = z.object({
  i: z.number(),
  messageId: z.string(),
  workspaceId: z.string(),
  channelId: z.string(),
  conversationId: z.string(),
  contactId: z.string(),
  status: z.string(),
  /** The provider's reason of a `failed` update; null for the others. */
  failureReason: z.string().nullable(),
  at: z.date(),
});

/** Updates written in one statement at most (a burst of receipts is split). */
const MAX_BATCH_UPDATES = 500;
/** A deadlock between two batches (two processes updating the same rows in another order) is retried this many times. */
const DEADLOCK_RETRIES = 3;

/**
 * Applies provider status updates (sent, delivered, read, failed) to outbound messages, forward
 * only. Receipts come in bursts (a broadcast, a busy bot): updates arriving while a write is in
 * flight are written together in the next statement (GroupCommit), one row per message per
 * statement (a second update of the same message waits for the next one, so both are judged in order).
 */
export class StatusUpdater {
  private readonly updates = new GroupCommit<ProviderStatusUpdate, boolean>((batch) => this.write(batch), {
    maxItems: MAX_BATCH_UPDATES,
    keyOf: (update) => `${update.channelId}/${update.providerMessageId}`,
  });

  constructor(private readonly deps: { orm: Orm; logger: Logger }) {}

  /** Moves the message forward and records when; resolves false when the update was stale, repeated or unknown. */
  async apply(update: ProviderStatusUpdate): Promise<boolean> {
    const applied = await this.updates.submit(update);
    if (!applied) this.deps.logger.debug({ update }, 'status update ignored (stale, repeated or unknown message)');
    return applied;
  }

  /** Writes the updates in one statement; answers, per update, whether it changed its message. */
  private async write(updates: ProviderStatusUpdate[]): Promise<boolean[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await applyStatusBatch(this.deps.orm.em.fork(), updates);
      } catch (err) {
        if (attempt > DEADLOCK_RETRIES || (err as { code?: string }).code !== DEADLOCK_DETECTED) throw err;
      }
    }
  }
}

/**
 * Applies status updates to their messages in one statement (APPLY_BATCH_SQL), with their events
 * right after it; answers, per update, whether it changed its message. At most one update per
 * message (the StatusUpdater's batches keep to that).
 */
export async function applyStatusBatch(em: EntityManager, updates: readonly ProviderStatusUpdate[]): Promise<boolean[]> {
  const rows = updates.map((update, i) => {
    const at = update.at.toISOString();
    return {
      i,
      channel_id: update.channelId,
      provider_message_id: update.providerMessageId,
      to_status: update.status,
      implied: Object.fromEntries(IMPLIED_BEFORE[update.status].map((s) => [s, at])),
      reached: { [update.status]: at },
      reason: update.status === 'failed' ? (update.reason ?? 'the provider reported a failure') : null,
      from_statuses: statusesBefore(update.status),
    };
  });
  const result = await runSql(em, APPLY_BATCH_SQL, { updates: JSON.stringify(rows) }, { row: AppliedStatusRow });
  // Right after the statement (it commits alone): a process dying in between loses these events, not the statuses.
  await emitEvents(em, messageStatusEvents(result.rows));
  const applied = new Set(result.rows.map((r) => r.i));
  return updates.map((_, i) => applied.has(i));
}

/** PostgreSQL's SQLSTATE for a deadlock: the statement was rolled back and may be retried. */
const DEADLOCK_DETECTED = '40P01';
