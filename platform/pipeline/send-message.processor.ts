import { DelayedError, Job, UnrecoverableError, type Queue } from 'bullmq';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CHANNEL_KINDS, type ChannelKind } from '../../engine/channels/channel-kind.ts';
import type { Clock } from '../../engine/clock.ts';
import { automatedSendBlocker, type OutboundSender } from '../../engine/contacts/automated-send-blocker.ts';
import { AppError } from '../../engine/errors/app-error.ts';
import type { MediaRef, MessageType } from '../../engine/messages/message-content.ts';
import type { MessageStatus } from '../../engine/messages/message-status.ts';
import type { OutboundSend, SendHandOver } from '../../engine/ports/channel-connector.port.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { ConnectorRegistry } from './connector-registry.ts';
import { runSql } from './run-sql.ts';
import type { SendJobData } from './send-job.ts';

/** What the processor did with a job (the job's return value, visible in the dashboard). */
export type SendOutcome = 'sent' | 'already-handled' | 'missing';

interface SendRow {
  id: string;
  workspaceId: string;
  channelId: string;
  contactId: string;
  sender: OutboundSender;
  idempotencyKey: string | null;
  type: MessageType;
  text: string | null;
  media: MediaRef | null;
  status: MessageStatus;
  channelKind: ChannelKind;
  channelDeletedAt: Date | null;
  phone: string | null;
  optedOutAt: Date | null;
  restrictedAt: Date | null;
  erasedAt: Date | null;
  externalIds: { kind: string; value: string }[];
  previousSend: SendState | null;
  queuedAt: Date;
}

/** Attempt bookkeeping kept in messages.metadata.send. */
interface SendState {
  attempts?: number;
  /** Set before the provider is called, cleared once the outcome is recorded: still set means a crash mid-send. */
  inFlightSince?: string;
  lastError?: string;
}

/*
 * Loads the message and claims an attempt in one round trip. The claim counts the attempt and
 * marks it in flight, under the row lock that checks the message is still queued, and only when
 * no earlier outbound message of the same conversation is still queued: a channel may send
 * several messages at once, but a conversation's messages leave in the order they were queued
 * (ids are time-ordered). `previousSend` is the attempt state before the claim (so that an
 * attempt left in flight by a killed worker is recognised); null when nothing was claimed.
 * The outer select reads the snapshot from before the claim: `status` is the status then.
 */
const CLAIM_SQL = `
with previous as (
  select m.id, coalesce(m.metadata -> 'send', '{}') as send,
         -- Connectors that wait before the provider call mark the hand-over themselves (SendHandOver).
         (select ch.kind from channels ch where ch.id = m.channel_id) = any(string_to_array(:selfMarkingKinds, ',')) as self_marking
    from messages m
   where m.id = :messageId and m.status = 'queued'
     and not exists (select 1 from messages earlier
                      where earlier.conversation_id = m.conversation_id and earlier.direction = 'outbound'
                        and earlier.status = 'queued' and earlier.id < m.id)
     for update of m
),
claimed as (
  update messages m
     set metadata = jsonb_set(m.metadata, '{send}', previous.send || jsonb_strip_nulls(jsonb_build_object(
           'attempts', coalesce(cast(previous.send ->> 'attempts' as integer), 0) + 1,
           'inFlightSince', case when previous.self_marking then null else cast(:startedAt as text) end)))
    from previous
   where m.id = previous.id
  returning m.id, previous.send
)
select m.id, m.workspace_id as "workspaceId", m.channel_id as "channelId", m.contact_id as "contactId", m.sender,
       m.idempotency_key as "idempotencyKey", m.type, m.text, m.media, m.status,
       ch.kind as "channelKind", ch.deleted_at as "channelDeletedAt",
       c.phone, c.opted_out_at as "optedOutAt", c.restricted_at as "restrictedAt", c.erased_at as "erasedAt",
       coalesce((select json_agg(json_build_object('kind', ci.kind, 'value', ci.value) order by ci.created_at)
                   from contact_identities ci
                  where ci.contact_id = m.contact_id and ci.channel_id = m.channel_id and ci.kind <> 'phone'), '[]') as "externalIds",
       claimed.send as "previousSend", m.created_at as "queuedAt"
  from messages m
  join channels ch on ch.id = m.channel_id
  join contacts c on c.id = m.contact_id
  left join claimed on claimed.id = m.id
 where m.id = :messageId`;

/** A message deferred by lasting conditions (caps, a paused number) fails once it has been queued this long. */
const MAX_DEFERRED_MS = 24 * 3600 * 1000;

/*
 * How long a message waits for an earlier message of its conversation to leave before it looks
 * again: short at first (the earlier one is usually being sent right now), longer the older the
 * job (the earlier one may be in a retry backoff), so a long wait does not become a busy loop.
 */
const ORDER_WAIT_MIN_MS = 20;
const ORDER_WAIT_MAX_MS = 1_000;

function orderWaitMs(jobAgeMs: number): number {
  return Math.min(ORDER_WAIT_MAX_MS, Math.max(ORDER_WAIT_MIN_MS, Math.round(jobAgeMs / 4)));
}

/*
 * RECORD_SENT_SQL and RECORD_FAILED_SQL answer the conversation's next queued outbound message:
 * its job may be waiting (delayed) for this one to leave, and is woken at once.
 */
const RECORD_SENT_SQL = `
update messages
   set status = 'sent', provider_message_id = :providerMessageId,
       status_times = status_times || cast(:times as jsonb),
       metadata = metadata #- '{send,inFlightSince}'
 where id = :messageId and status = 'queued'
returning (select n.id from messages n
            where n.conversation_id = messages.conversation_id and n.direction = 'outbound'
              and n.status = 'queued' and n.id > messages.id
            order by n.id limit 1) as "nextId"`;

const MARK_IN_FLIGHT_SQL = `
update messages set metadata = jsonb_set(metadata, '{send,inFlightSince}', to_jsonb(cast(:startedAt as text)))
 where id = :messageId and status = 'queued'`;

const RECORD_RETRYABLE_SQL = `
update messages
   set metadata = jsonb_set(metadata #- '{send,inFlightSince}', '{send,lastError}', to_jsonb(cast(:lastError as text)))
 where id = :messageId and status = 'queued'`;

const RECORD_FAILED_SQL = `
update messages
   set status = 'failed', failure_reason = :reason,
       status_times = status_times || cast(:times as jsonb),
       metadata = metadata #- '{send,inFlightSince}'
 where id = :messageId and status = 'queued'
returning (select n.id from messages n
            where n.conversation_id = messages.conversation_id and n.direction = 'outbound'
              and n.status = 'queued' and n.id > messages.id
            order by n.id limit 1) as "nextId"`;

/**
 * Sends one queued message through its channel's connector, at most once:
 * - a message no longer `queued` was handled by an earlier job: nothing is sent;
 * - the attempt is recorded before the provider is called; finding it still in flight means a
 *   worker died mid-send, and the message is resent only if the connector deduplicates sends
 *   (otherwise it fails with `send_outcome_unknown`);
 * - AppError `retry` → the job is retried with backoff (the provider did not take the message);
 *   `never`/`user`, or the last attempt → the message fails with the reason;
 * - any other error leaves the attempt in flight: whether the provider took the message is unknown.
 */
export class SendMessageProcessor {
  /** Channel kinds whose connectors mark the hand-over themselves, for the claim statement. */
  private readonly selfMarkingKinds: string;

  constructor(private readonly deps: { orm: Orm; connectors: ConnectorRegistry; logger: Logger; clock: Clock }) {
    this.selfMarkingKinds = CHANNEL_KINDS.filter((kind) => deps.connectors.get(kind)?.marksHandOver === true).join(',');
  }

  /** The BullMQ processor for send jobs; `queue` is the job's own, to wake the conversation's next message. */
  async process(job: Job<SendJobData>, token?: string, queue?: Queue<SendJobData>): Promise<SendOutcome> {
    const em = this.deps.orm.em.fork();
    const { messageId } = job.data;
    const row = (await runSql<SendRow>(em, CLAIM_SQL, { messageId, startedAt: this.deps.clock.now().toISOString(), selfMarkingKinds: this.selfMarkingKinds })).rows[0];
    if (!row) return 'missing';
    if (row.status !== 'queued') return 'already-handled';
    if (row.previousSend === null) {
      // An earlier message of the conversation is still queued (or this one changed meanwhile):
      // look again shortly, without spending one of the job's attempts.
      const now = this.deps.clock.now().getTime();
      await job.moveToDelayed(now + orderWaitMs(now - job.timestamp), token);
      throw new DelayedError();
    }

    const fail = (reason: string) => this.fail(em, queue, messageId, reason);
    if (row.channelDeletedAt !== null) return fail('channel_deleted');
    // Consent may have changed since the message was queued (a broadcast queued for hours).
    const blocker = automatedSendBlocker(row, row.sender);
    if (blocker !== null) return fail(`contact_unreachable: ${blocker}`);
    const registered = this.deps.connectors.get(row.channelKind);
    if (!registered) return fail(`no connector for ${row.channelKind} channels`);
    if (row.previousSend.inFlightSince !== undefined) {
      if (!registered.deduplicatesSends) return fail(`send_outcome_unknown: an attempt started at ${row.previousSend.inFlightSince} was interrupted`);
      this.deps.logger.warn({ messageId, since: row.previousSend.inFlightSince }, 'resending after an interrupted attempt; the connector deduplicates');
    }

    let providerMessageId: string;
    try {
      ({ providerMessageId } = await registered.connector.send(toOutboundSend(row), this.handOverOf(em, messageId)));
    } catch (err) {
      return this.onSendError(em, job, token, row, err, fail);
    }
    const sent = await runSql<{ nextId: string | null }>(em, RECORD_SENT_SQL, { messageId, providerMessageId, times: JSON.stringify({ sent: this.deps.clock.now().toISOString() }) });
    await this.wake(queue, sent.rows[0]?.nextId ?? null);
    return 'sent';
  }

  /** The hand-over marker a connector calls just before the provider call. */
  private handOverOf(em: EntityManager, messageId: string): SendHandOver {
    return {
      handingOver: async () => {
        await runSql(em, MARK_IN_FLIGHT_SQL, { messageId, startedAt: this.deps.clock.now().toISOString() });
      },
    };
  }

  /*
   * The next message of the conversation waits in the delayed set for this one to leave; its
   * own delay is the fallback when the wake is missed (it was not delayed yet, Redis failed).
   */
  private async wake(queue: Queue<SendJobData> | undefined, nextId: string | null): Promise<void> {
    if (!queue || !nextId) return;
    try {
      const next = await Job.fromId(queue, nextId);
      if (next && (await next.isDelayed())) await next.promote();
    } catch (err) {
      this.deps.logger.debug({ err, messageId: nextId }, 'could not wake the next send of the conversation; its delay will');
    }
  }

  private async onSendError(em: EntityManager, job: Job<SendJobData>, token: string | undefined, row: SendRow, err: unknown, fail: (reason: string) => Promise<never>): Promise<never> {
    if (!(err instanceof AppError)) throw err;
    const messageId = row.id;
    const reason = `${err.code}: ${err.message}`;
    const now = this.deps.clock.now().getTime();
    if (err.disposition === 'retry' && err.deferMs !== undefined && now - new Date(row.queuedAt).getTime() < MAX_DEFERRED_MS) {
      // A lasting condition (a cap reached, a session reconnecting): wait without spending an attempt.
      await runSql(em, RECORD_RETRYABLE_SQL, { messageId, lastError: reason });
      await job.moveToDelayed(now + err.deferMs, token);
      throw new DelayedError();
    }
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (err.disposition === 'retry' && !lastAttempt) {
      await runSql(em, RECORD_RETRYABLE_SQL, { messageId, lastError: reason });
      throw err;
    }
    return fail(reason);
  }

  /** Marks the message failed, wakes the conversation's next message, and fails the job without retries. */
  private async fail(em: EntityManager, queue: Queue<SendJobData> | undefined, messageId: string, reason: string): Promise<never> {
    const failed = await runSql<{ nextId: string | null }>(em, RECORD_FAILED_SQL, { messageId, reason, times: JSON.stringify({ failed: this.deps.clock.now().toISOString() }) });
    this.deps.logger.warn({ messageId, reason }, 'outbound message failed');
    await this.wake(queue, failed.rows[0]?.nextId ?? null);
    throw new UnrecoverableError(reason);
  }
}

function toOutboundSend(row: SendRow): OutboundSend {
  return {
    messageId: row.id,
    workspaceId: row.workspaceId,
    channelId: row.channelId,
    // Every queued message has one (the outbox requires it); the message id is the fallback for old rows.
    idempotencyKey: row.idempotencyKey ?? row.id,
    to: { contactId: row.contactId, phone: row.phone, externalIds: row.externalIds },
    type: row.type,
    text: row.text,
    media: row.media,
  };
}
