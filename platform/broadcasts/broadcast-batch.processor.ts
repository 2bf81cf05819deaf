import { DelayedError, type Job, type Queue } from 'bullmq';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { broadcastTemplateContext, parseBroadcastTemplate } from '../../engine/broadcasts/broadcast-template.ts';
import type { ChannelKind } from '../../engine/channels/channel-kind.ts';
import type { Clock } from '../../engine/clock.ts';
import { renderTemplate } from '../../engine/flows/template.ts';
import { contactTemplateValues } from '../../engine/runs/flow-data.ts';
import { LANGUAGE_ATTRIBUTE, renderTemplateContent } from '../../engine/templates/message-template.ts';
import { loadTemplateVersions } from '../templates/template-store.ts';
import type { MessageType } from '../../engine/messages/message-content.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import type { BatchSender } from '../pipeline/batch-sender.ts';
import { SendRow } from '../pipeline/send-claim.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';
import { METERED_JSON, MeteredRowSchema, UsageMeter, type MeteredRow } from '../billing/usage-meter.ts';
import { QUOTA_EXCEEDED_REASON } from '../../engine/billing/usage-thresholds.ts';
import type { SendJobData } from '../pipeline/send-job.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { BATCH_JOB_NAME, BROADCAST_JOB_OPTIONS, batchJobId, type BroadcastBatchJobData } from './broadcast-queues.ts';
import { closeBatch, openBatch, type OpenedBatch } from './broadcast-batch-opening.ts';
import { ensureConversations, markRecipientsQueued, skipRecipients, type PendingRecipient } from './broadcast-recipients.sql.ts';
import { writeState, type BroadcastRow } from './broadcast-store.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';

/** What a batch job did (its return value, visible in the dashboard). */
export type BatchOutcome = 'stale' | { sent: number; failed: number; handedOff: number; skipped: number; deferred: number };

/** Message type of a media URL, by its extension; a document when it says nothing. */
function mediaTypeOf(url: string): MessageType {
  const path = new URL(url).pathname.toLowerCase();
  if (/\.(jpe?g|png|gif|webp)$/.test(path)) return 'image';
  if (/\.(mp4|3gp|mov)$/.test(path)) return 'video';
  if (/\.(mp3|ogg|opus|m4a|aac|amr)$/.test(path)) return 'audio';
  return 'document';
}

/*
 * The batch's messages, recorded in the outbox in one statement. The key per (broadcast,
 * recipient) makes a second recording of the same recipient (a retried job) insert nothing.
 * `batchJob` tells the outbox reconciler which job is sending the message, so that it leaves a
 * message alone while that job lives.
 */
function insertMessagesSql(meter: UsageMeter): string {
  return `
with input as (
  select i.*, row_number() over (order by i.id) as seq
    from unnest(cast(:ids as uuid[]), cast(:conversationIds as uuid[]), cast(:contactIds as uuid[]), cast(:keys as text[]), cast(:texts as text[]), cast(:types as text[]), cast(:medias as text[]))
    as i(id, conversation_id, contact_id, idempotency_key, body, type, media)
),
wanted as (
  select cast(:workspaceId as uuid) as workspace_id, count(*) as automated, count(*) as recipients, 0 as agent from input
),
${meter.meteredCte()},
message as (
  insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, idempotency_key, type, text, media, status, status_times, metadata, created_at)
  select i.id, :workspaceId, :channelId, i.conversation_id, i.contact_id, 'outbound', 'broadcast', i.idempotency_key, i.type, i.body,
         cast(i.media as jsonb), 'queued', cast(:statusTimes as jsonb),
         -- Claimed at once (the attempt counted and marked), unless an earlier message of the conversation still waits.
         case when exists (select 1 from messages e where e.conversation_id = i.conversation_id and e.direction = 'outbound' and e.queued)
              then cast(:metadata as jsonb) else cast(:claimedMetadata as jsonb) end,
         :now
    from input i
   -- Only what the plan's quota lets through: the other recipients stay pending, and the broadcast pauses.
   where i.seq <= coalesce((select granted from metered), i.seq)
  on conflict (channel_id, idempotency_key) where idempotency_key is not null do nothing
  returning id, conversation_id, idempotency_key, metadata ? 'send' as claimed
),
touched as (
  -- A conversation created for this batch already has its activity time.
  update conversations conv set last_message_at = :now, updated_at = :now
    from message where conv.id = message.conversation_id and conv.last_message_at < :now
)${meter.countedCte(`select cast(:workspaceId as uuid) as workspace_id, count(*) as automated, count(*) as recipients, 0 as agent from message`)}
select id, idempotency_key as "key", claimed, null as metered from message
union all
select null, null, null, ${METERED_JSON} from metered`;
}

/** A row of insertMessagesSql: a message it inserted, or the workspace's metered counts (METERED_JSON). */
const InsertedMessageRow = z.object({ id: z.string(), key: z.string(), claimed: z.boolean(), metered: z.null() });
type InsertedMessageRow = z.infer<typeof InsertedMessageRow>;
const InsertMessagesRow = z.union([
  InsertedMessageRow,
  z.object({ id: z.null(), key: z.null(), claimed: z.null(), metered: MeteredRowSchema }),
]);

/** The batch's contacts' ids on the channel (a WhatsApp JID or LID), which a send may need besides the phone. */
const EXTERNAL_IDS_SQL = `
select contact_id as "contactId", json_agg(json_build_object('kind', kind, 'value', value) order by created_at) as "externalIds"
  from contact_identities
 where channel_id = :channelId and contact_id = any(cast(:contactIds as uuid[])) and kind <> 'phone'
 group by contact_id`;
const ExternalIdsRow = z.object({ contactId: z.string(), externalIds: SendRow.shape.externalIds });

const EXISTING_BY_KEY_SQL = `select id, idempotency_key as "key" from messages where channel_id = :channelId and idempotency_key = any(cast(:keys as text[]))`;
const MessageByKeyRow = z.object({ id: z.string(), key: z.string() });

/** Messages of the batch recorded by an earlier attempt of its job and still waiting to be sent. */
const LEFTOVER_SQL = `
select m.id from broadcast_recipients r join messages m on m.id = r.message_id
 where r.broadcast_id = :broadcastId and r.batch = :batch and r.state = 'queued' and m.status = 'queued'`;

/** The outbox key of a recipient's message: one message per (broadcast, recipient), ever. */
export function recipientMessageKey(broadcastId: string, recipientId: string): string {
  return `broadcast:${broadcastId}:${recipientId}`;
}

/**
 * One batch of a message broadcast, run on the channel's broadcast send queue:
 * 1. under a share lock on the broadcast (a pause or cancel waits for it, or it sees theirs), and
 *    only while the broadcast runs in the job's generation: takes the batch's pending recipients,
 *    skips those who may no longer be messaged, defers those in quiet hours, and records a message
 *    for each of the rest in the outbox, in one transaction;
 * 2. sends them with the BatchSender (one claim, the provider calls, one record);
 * 3. adds a job for the deferred recipients at the end of their quiet hours, and a finish check
 *    when nothing of the broadcast is pending any more.
 * A batch not yet due at the broadcast's pace waits in the delayed set until it is.
 */
export class BroadcastBatchProcessor {
  private readonly meter: UsageMeter;
  private readonly insertMessagesStatement: string;

  /** `meter`: the plans' quotas (billing on); without it messages are counted and never refused. */
  constructor(
    private readonly deps: { orm: Orm; queues: QueueFactory; clock: Clock; logger: Logger; sender: BatchSender; meter?: UsageMeter },
  ) {
    this.meter = deps.meter ?? UsageMeter.unlimited();
    this.insertMessagesStatement = insertMessagesSql(this.meter);
  }

  async process(
    job: Job<BroadcastBatchJobData>,
    token: string | undefined,
    queues: { own: Queue<BroadcastBatchJobData>; send: Queue<SendJobData> },
    concurrency: number,
  ): Promise<BatchOutcome> {
    const data = job.data;
    const now = this.deps.clock.now();
    const em = this.deps.orm.em.fork();
    const recorded = await em.transactional((tem) => this.record(tem, job, now));
    if (recorded === 'stale') return 'stale';
    if ('dueAt' in recorded) {
      await job.moveToDelayed(recorded.dueAt.getTime(), token);
      throw new DelayedError();
    }
    const result = await this.deps.sender.sendClaimed(em, recorded.rows, queues.send, concurrency);
    // A retried job also sends what its killed predecessor recorded but did not send (claimed again: the in-flight check decides).
    if (job.attemptsStarted > 1) {
      const recordedNow = new Set(recorded.rows.map((r) => r.id));
      const leftovers = (await runSql(em, LEFTOVER_SQL, { broadcastId: data.broadcastId, batch: data.batch }, { row: IdRow })).rows
        .map((r) => r.id)
        .filter((id) => !recordedNow.has(id));
      const more = await this.deps.sender.send(leftovers, queues.send, concurrency);
      result.sent += more.sent;
      result.failed += more.failed;
      result.handedOff += more.handedOff;
    }
    await closeBatch(em, this.deps.queues, data, recorded.deferredUntil, (at) =>
      queues.own.add(BATCH_JOB_NAME, data, {
        ...BROADCAST_JOB_OPTIONS,
        jobId: batchJobId(data, at.getTime()),
        delay: Math.max(0, at.getTime() - this.deps.clock.now().getTime()),
      }),
    );
    return {
      sent: result.sent,
      failed: result.failed,
      handedOff: result.handedOff,
      skipped: recorded.skipped,
      deferred: recorded.deferred,
    };
  }

  private async record(
    em: EntityManager,
    job: Job<BroadcastBatchJobData>,
    now: Date,
  ): Promise<'stale' | { dueAt: Date } | { rows: SendRow[]; skipped: number; deferred: number; deferredUntil: Date | null }> {
    const opened = await openBatch(em, job.data, ['message', 'template'], now);
    if (opened === 'stale' || 'dueAt' in opened) return opened;
    const { b, workspace, channelKind, sorted } = opened;
    await skipRecipients(em, sorted.skips, now);
    const render = await this.renderer(em, b, workspace);
    const rows = await this.recordMessages(em, b, { render, channelKind }, sorted.ready, job, now);
    return { rows, skipped: sorted.skips.length, deferred: sorted.deferred.length, deferredUntil: sorted.deferredUntil };
  }

  /**
   * How the broadcast's message is written for one recipient. Literal text: the broadcast's own
   * template and media URL. A saved template: the version recorded when the broadcast started,
   * in the recipient's language variant (else the fallback), with the renderer every template
   * send uses, so its media URL too may differ per recipient.
   */
  private async renderer(
    em: EntityManager,
    b: OpenedBatch<'message' | 'template'>['b'],
    workspace: { name: string; timezone: string },
  ): Promise<(r: PendingRecipient) => { text: string; mediaUrl: string | null }> {
    const facts = (r: PendingRecipient) => ({
      id: r.contactId,
      name: r.name,
      phone: r.phone,
      tags: r.tags ?? [],
      attributes: r.attributes ?? {},
    });
    if (b.content.kind === 'message') {
      const template = parseBroadcastTemplate(b.content.text).template;
      if (!template) throw new InvariantError('the broadcast has a template that no longer parses', { broadcastId: b.id });
      const mediaUrl = b.content.mediaUrl ?? null;
      return (r) => ({ text: renderTemplate(template, broadcastTemplateContext({ contact: facts(r), workspace })), mediaUrl });
    }
    const [version] = b.templateVersionId === null ? [] : await loadTemplateVersions(em, [b.templateVersionId]);
    if (!version) throw new InvariantError('the broadcast started with no template version recorded', { broadcastId: b.id });
    return (r) => {
      const contact = facts(r);
      const rendered = renderTemplateContent(version.content, contact.attributes[LANGUAGE_ATTRIBUTE], {
        contact: contactTemplateValues(contact),
        workspace,
      });
      return { text: rendered.text, mediaUrl: rendered.mediaUrl };
    };
  }

  /**
   * One queued message per ready recipient, and the recipients marked queued with it. Answers the
   * messages recorded claimed, as the send path reads them (SendRow), ready for the BatchSender.
   */
  private async recordMessages(
    em: EntityManager,
    b: BroadcastRow,
    content: { render: (r: PendingRecipient) => { text: string; mediaUrl: string | null }; channelKind: ChannelKind },
    ready: readonly PendingRecipient[],
    job: Job<BroadcastBatchJobData>,
    now: Date,
  ): Promise<SendRow[]> {
    if (ready.length === 0) return [];
    const contactIds = ready.map((r) => r.contactId);
    const conversations = await ensureConversations(em, { workspaceId: b.workspaceId, channelId: b.channelId, contactIds, now, newId });
    const keys = ready.map((r) => recipientMessageKey(b.id, r.id));
    const messages = ready.map((r) => {
      const { text, mediaUrl } = content.render(r);
      return {
        text,
        type: mediaUrl === null ? ('text' as const) : mediaTypeOf(mediaUrl),
        media: mediaUrl === null ? null : { url: mediaUrl },
      };
    });
    const texts = messages.map((m) => m.text);
    const batchJob = { queue: job.queueName, id: job.id };
    const claimed = this.deps.sender.claimedMetadata(content.channelKind, now);
    const result = await runSql(
      em,
      this.insertMessagesStatement,
      {
        workspaceId: b.workspaceId,
        limits: this.meter.limits,
        channelId: b.channelId,
        now,
        types: messages.map((m) => m.type),
        medias: messages.map((m) => (m.media === null ? null : JSON.stringify(m.media))),
        statusTimes: JSON.stringify({ queued: now.toISOString() }),
        metadata: JSON.stringify({ batchJob }),
        claimedMetadata: JSON.stringify({ batchJob, send: claimed }),
        ids: ready.map(() => newId()),
        conversationIds: ready.map((r) => conversations.get(r.contactId) as string),
        contactIds,
        keys,
        texts,
      },
      { row: InsertMessagesRow },
    );
    const inserted: InsertedMessageRow[] = [];
    const metered: MeteredRow[] = [];
    for (const row of result.rows) {
      if (row.id === null) metered.push(row.metered);
      else inserted.push(row);
    }
    await this.meter.recordThresholds(em, metered);
    const byKey = new Map(inserted.map((row) => [row.key, row]));
    const existing = keys.filter((k) => !byKey.has(k));
    const existingIds = new Map<string, string>();
    if (existing.length > 0) {
      for (const row of (await runSql(em, EXISTING_BY_KEY_SQL, { channelId: b.channelId, keys: existing }, { row: MessageByKeyRow })).rows)
        existingIds.set(row.key, row.id);
    }
    // A recipient with neither a new nor an earlier message was held back by the quota: it stays pending.
    const recorded = ready.flatMap((r, i) => {
      const messageId = byKey.get(keys[i] as string)?.id ?? existingIds.get(keys[i] as string);
      return messageId === undefined ? [] : [{ id: r.id, messageId, runId: null }];
    });
    await markRecipientsQueued(em, recorded, now);
    if (recorded.length < ready.length) await this.pauseForQuota(em, b, metered[0], now);

    const externalIds = new Map(
      (await runSql(em, EXTERNAL_IDS_SQL, { channelId: b.channelId, contactIds }, { row: ExternalIdsRow })).rows.map((r) => [
        r.contactId,
        r.externalIds,
      ]),
    );
    const rows: SendRow[] = [];
    ready.forEach((r, i) => {
      const row = byKey.get(keys[i] as string);
      if (!row) return;
      rows.push({
        id: row.id,
        workspaceId: b.workspaceId,
        channelId: b.channelId,
        contactId: r.contactId,
        sender: 'broadcast',
        idempotencyKey: row.key,
        type: messages[i]!.type,
        text: messages[i]!.text,
        media: messages[i]!.media,
        status: 'queued',
        channelKind: content.channelKind,
        channelDeletedAt: null,
        phone: r.phone,
        optedOutAt: r.optedOutAt,
        restrictedAt: r.restrictedAt,
        erasedAt: r.erasedAt,
        externalIds: externalIds.get(r.contactId) ?? [],
        // Recorded claimed: nothing was attempted before. Unclaimed rows wait for an earlier message (handed off).
        previousSend: row.claimed ? {} : null,
        queuedAt: now,
      });
    });
    return rows;
  }

  /**
   * The quota is used up: the broadcast pauses with the reason `quota_exceeded`, in the batch's
   * transaction (its later batches see it paused and do nothing). The billing reconciler resumes
   * it when the quota returns (a new period, a bigger plan).
   */
  private async pauseForQuota(em: EntityManager, b: BroadcastRow, metered: MeteredRow | undefined, now: Date): Promise<void> {
    const limit = metered
      ? metered.recipientLimit !== null && metered.recipientsUsed >= metered.recipientLimit
        ? `${metered.recipientLimit} broadcast recipients`
        : `${metered.messageLimit ?? 0} automated messages`
      : 'its quota';
    const until = metered ? ` until ${metered.periodEnd.toISOString().slice(0, 10)}` : '';
    await writeState(
      em,
      b.id,
      {
        state: 'paused',
        stateReason: `${QUOTA_EXCEEDED_REASON}: the ${metered?.plan ?? ''} plan's ${limit} are used${until}; it resumes by itself when the quota returns`,
      },
      now,
    );
    this.deps.logger.info({ broadcastId: b.id, workspaceId: b.workspaceId }, 'broadcast paused: quota exceeded');
  }
}
