import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import { automatedSendBlocker } from '../../engine/contacts/automated-send-blocker.ts';
import { NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { ContactUnreachableError } from '../../engine/errors/contact-unreachable.error.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { OutboundRequestSchema, type OutboundRequest } from './outbound-request.ts';
import { IdRow, runSql } from './run-sql.ts';
import { METERED_JSON, MeteredRowSchema, UsageMeter, type MeteredRow } from '../billing/usage-meter.ts';
import { QUOTA_EXCEEDED_REASON } from '../../engine/billing/usage-thresholds.ts';
import {
  DEFAULT_SEND_RETRY,
  newSendBatchJob,
  SEND_BATCH_JOB_NAME,
  SEND_JOB_NAME,
  sendBatchJobOptions,
  sendJobOptions,
  sendQueueName,
  type BatchJobRef,
  type SendBatchJobData,
  type SendJobData,
  type SendRetryPolicy,
} from './send-job.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import { zodIssueDetails } from '../../engine/errors/zod-issue-details.ts';

/** A message recorded in the outbox, to dispatch after the caller's commit. */
export interface QueuedSend {
  messageId: string;
  channelId: string;
  /** False when the idempotency key was used before: the existing message is answered, nothing is added. */
  created: boolean;
  /** The batch send job that sends it with other messages recorded together (see Outbox.sendTogether); none: a job of its own. */
  batchJobId?: string;
}

/**
 * The conversation's channel and contact, given by a caller that holds the contact's row lock in
 * this transaction and checked that automated messages may reach it (a run does).
 */
export interface ReachableTarget {
  channelId: string;
  contactId: string;
}

/** The conversation's channel and contact, the contact's consent state and a previous message with this key: one round trip. */
const TARGET_SQL = `
select conv.channel_id as "channelId", conv.contact_id as "contactId", ch.deleted_at as "channelDeletedAt",
       c.opted_out_at as "optedOutAt", c.restricted_at as "restrictedAt", c.erased_at as "erasedAt",
       existing.id as "existingId"
  from conversations conv
  join channels ch on ch.id = conv.channel_id
  join contacts c on c.id = conv.contact_id
  left join messages existing on existing.channel_id = conv.channel_id and existing.idempotency_key = :idempotencyKey
 where conv.id = :conversationId and conv.workspace_id = :workspaceId`;
/** Its row: `existingId` is null when no message has the key (the left join). */
const TargetRow = z.object({
  channelId: z.string(),
  contactId: z.string(),
  channelDeletedAt: z.date().nullable(),
  optedOutAt: z.date().nullable(),
  restrictedAt: z.date().nullable(),
  erasedAt: z.date().nullable(),
  existingId: z.string().nullable(),
});

/*
 * The queued message rows are the outbox records. The statement also counts them toward the
 * workspace's billing period and refuses automated ones over its quota: they are recorded
 * `failed` with the reason `quota_exceeded` (see platform/billing/usage-meter.ts). ON CONFLICT on messages_channel_idempotency
 * makes a concurrent request with the same key wait for the first to commit and insert nothing;
 * a conversation's activity time moves only when a row was inserted. Answers the ids inserted.
 * The conversations are also given as an array, and the statement is planned at each call
 * (RunSqlOptions.planEachCall): the planner then knows how many conversations it updates and
 * probes them by primary key. Without both, it assumed 100 rows (jsonb_to_recordset's default)
 * and joined them with a sequential scan of the whole table (0.7 of the statement's 1 ms with
 * 6,000 conversations; a generic plan chosen while the table was small kept doing so as it grew).
 */
export function insertQueuedSql(meter: UsageMeter): string {
  return `
with given as (
  -- Replies to test contacts (the editor's test chat) are neither metered nor refused.
  -- The contact by a primary-key probe per row (a scalar subquery the planner cannot turn into a
  -- join): as a join, the recordset's assumed 100 rows made it hash a scan of every contact.
  select x.*, x.sender in ('bot', 'broadcast') and not tc.test as automated, tc.test
    from jsonb_to_recordset(cast(:rows as jsonb))
      as x(id uuid, workspace_id uuid, channel_id uuid, conversation_id uuid, contact_id uuid, sender text, author_user_id uuid,
           idempotency_key text, type text, text text, media jsonb, status_times jsonb, metadata jsonb, run_id uuid, created_at timestamptz)
    cross join lateral (select coalesce((select c.is_test from contacts c where c.id = x.contact_id), false) as test) tc
),
input as (
  -- The rank of each automated message of its workspace, in id order: the first \`granted\` are recorded.
  select g.*, count(*) filter (where g.automated) over (partition by g.workspace_id order by g.id) as seq from given g
),
wanted as (
  select workspace_id, count(*) filter (where automated) as automated, 0 as recipients, count(*) filter (where not automated and not test) as agent
    from input group by workspace_id
),
${meter.meteredCte()},
message as (
  insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, author_user_id,
                        idempotency_key, type, text, media, status, status_times, failure_reason, metadata, run_id, created_at)
  select i.id, i.workspace_id, i.channel_id, i.conversation_id, i.contact_id, 'outbound', i.sender, i.author_user_id,
         i.idempotency_key, i.type, i.text, i.media,
         case when r.refused then 'failed' else 'queued' end,
         case when r.refused then i.status_times || jsonb_build_object('failed', i.status_times ->> 'queued') else i.status_times end,
         case when r.refused then '${QUOTA_EXCEEDED_REASON}' end,
         i.metadata, i.run_id, i.created_at
    from input i
    left join metered g on g.workspace_id = i.workspace_id
    cross join lateral (select i.automated and i.seq > coalesce(g.granted, i.seq) as refused) r
   order by i.id
  on conflict (channel_id, idempotency_key) where idempotency_key is not null do nothing
  returning id, conversation_id, created_at, status
),
touched as (
  update conversations conv set last_message_at = greatest(conv.last_message_at, latest.at), updated_at = latest.at
    from (select conversation_id, max(created_at) as at from message group by conversation_id) latest
   where conv.id = latest.conversation_id and conv.id = any(cast(:conversationIds as uuid[]))
)${meter.countedCte(`select i.workspace_id, count(*) filter (where i.automated) as automated, 0 as recipients, count(*) filter (where not i.automated and not i.test) as agent
      from message m join input i on i.id = m.id group by i.workspace_id`)}
select id, status = 'failed' as refused, null as metered from message
union all
select null, null, ${METERED_JSON} from metered`;
}

/** A row of insertQueuedSql: an inserted message (`id`, `refused`), or a workspace's metered counts (`metered`). */
const InsertedQueuedRow = z.union([
  z.object({ id: z.string(), refused: z.boolean(), metered: z.null() }),
  z.object({ id: z.null(), refused: z.null(), metered: MeteredRowSchema }),
]);

/** A queued outbound message as it is inserted (see Outbox.prepareQueued). */
export interface QueuedMessageRow {
  id: string;
  workspace_id: string;
  channel_id: string;
  conversation_id: string;
  contact_id: string;
  sender: OutboundRequest['sender'];
  author_user_id: string | null;
  idempotency_key: string;
  type: OutboundRequest['type'];
  text: string | null;
  media: OutboundRequest['media'] | null;
  status_times: { queued: string };
  metadata: { batchJob?: BatchJobRef };
  run_id: string | null;
  created_at: string;
}

const EXISTING_SQL = `select id from messages where channel_id = :channelId and idempotency_key = :idempotencyKey`;

/**
 * The transactional outbox for outbound messages: `queueSend` records a `queued` message inside
 * the caller's transaction; `dispatch`, after commit, adds one job per message to the channel's
 * send queue. A dispatch lost between commit and Redis is redone by the OutboxReconciler.
 */
export class Outbox {
  private readonly retry: SendRetryPolicy;
  private readonly meter: UsageMeter;
  private readonly insertQueuedStatement: string;

  /** `meter`: the plans' quotas (billing on); without it messages are counted and never refused. */
  constructor(
    private readonly deps: { orm: Orm; queues: QueueFactory; logger: Logger; clock: Clock; retry?: SendRetryPolicy; meter?: UsageMeter },
  ) {
    this.retry = deps.retry ?? DEFAULT_SEND_RETRY;
    this.meter = deps.meter ?? UsageMeter.unlimited();
    this.insertQueuedStatement = insertQueuedSql(this.meter);
  }

  /**
   * Records the message within the caller's transaction (`em`). The same idempotency key on the
   * same channel answers the existing message with `created: false`. Refuses automated sends to
   * opted-out, restricted or erased contacts (ContactUnreachableError). With `reachable`, the
   * caller vouches for the target (see ReachableTarget) and the lookup is skipped.
   */
  async queueSend(em: EntityManager, request: OutboundRequest, reachable?: ReachableTarget): Promise<QueuedSend> {
    const req = parseRequest(request);
    if (reachable) return this.insertQueued(em, req, reachable);
    const { rows } = await runSql(
      em,
      TARGET_SQL,
      { conversationId: req.conversationId, workspaceId: req.workspaceId, idempotencyKey: req.idempotencyKey },
      { row: TargetRow },
    );
    const target = rows[0];
    if (!target) throw new NotFoundError('conversation', req.conversationId);
    if (req.channelId !== undefined && req.channelId !== target.channelId)
      throw new ValidationError(`conversation ${req.conversationId} belongs to another channel`, {
        details: [{ path: 'channelId', message: "must be the conversation's channel" }],
      });
    if (req.contactId !== undefined && req.contactId !== target.contactId)
      throw new ValidationError(`conversation ${req.conversationId} belongs to another contact`, {
        details: [{ path: 'contactId', message: "must be the conversation's contact" }],
      });
    if (target.existingId !== null) return { messageId: target.existingId, channelId: target.channelId, created: false };
    if (target.channelDeletedAt !== null) throw new NotFoundError('channel', target.channelId);
    const blocker = automatedSendBlocker(target, req.sender);
    if (blocker !== null) throw new ContactUnreachableError(target.contactId, blocker);

    return this.insertQueued(em, req, target);
  }

  /**
   * Validates the request and answers its outbox row, for a caller that inserts it later in its
   * transaction with `insertQueuedRows` (a batch of runs) and vouches for the target (see ReachableTarget).
   */
  prepareQueued(request: OutboundRequest, target: ReachableTarget): QueuedMessageRow {
    return this.queuedRow(parseRequest(request), target);
  }

  /**
   * Inserts outbox rows in one statement; answers the ids inserted (a row whose key was used
   * before is not). The same statement counts them toward the billing period and records the
   * automated ones over the quota as failed (`quota_exceeded`) instead of queued.
   */
  async insertQueuedRows(em: EntityManager, rows: readonly QueuedMessageRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const conversationIds = [...new Set(rows.map((r) => r.conversation_id))];
    const result = await runSql(
      em,
      this.insertQueuedStatement,
      { rows: JSON.stringify(rows), conversationIds, now: this.deps.clock.now(), limits: this.meter.limits },
      { row: InsertedQueuedRow, planEachCall: true },
    );
    const inserted = new Set<string>();
    const meteredRows: MeteredRow[] = [];
    for (const r of result.rows) {
      if (r.id !== null) inserted.add(r.id);
      else meteredRows.push(r.metered);
    }
    await this.meter.recordThresholds(em, meteredRows);
    if (inserted.size < rows.length) await this.giveBackUnrecorded(em, rows, inserted, meteredRows);
    return inserted;
  }

  /** Rows counted by the statement but not inserted (their key existed): their count is given back. */
  private async giveBackUnrecorded(
    em: EntityManager,
    rows: readonly QueuedMessageRow[],
    inserted: ReadonlySet<string>,
    metered: readonly { workspaceId: string; granted: number }[],
  ): Promise<void> {
    for (const { workspaceId, granted } of metered) {
      const ofWorkspace = rows.filter((r) => r.workspace_id === workspaceId).sort((a, b) => (a.id < b.id ? -1 : 1));
      let seq = 0;
      let automated = 0;
      let agent = 0;
      for (const row of ofWorkspace) {
        const isAutomated = row.sender === 'bot' || row.sender === 'broadcast';
        if (isAutomated) seq += 1;
        if (inserted.has(row.id)) continue;
        if (!isAutomated) agent += 1;
        else if (seq <= granted) automated += 1;
      }
      await this.meter.giveBack(em, workspaceId, automated, agent);
    }
  }

  private queuedRow(req: OutboundRequest, target: ReachableTarget): QueuedMessageRow {
    const now = this.deps.clock.now().toISOString();
    return {
      id: newId(),
      workspace_id: req.workspaceId,
      channel_id: target.channelId,
      conversation_id: req.conversationId,
      contact_id: target.contactId,
      sender: req.sender,
      author_user_id: req.authorUserId ?? null,
      idempotency_key: req.idempotencyKey,
      type: req.type,
      text: req.text ?? null,
      media: req.media ?? null,
      status_times: { queued: now },
      metadata: {},
      run_id: req.runId ?? null,
      created_at: now,
    };
  }

  /** Inserts the queued row; a key used before answers the existing message. */
  private async insertQueued(em: EntityManager, req: OutboundRequest, target: ReachableTarget): Promise<QueuedSend> {
    const row = this.queuedRow(req, target);
    if ((await this.insertQueuedRows(em, [row])).has(row.id)) return { messageId: row.id, channelId: target.channelId, created: true };

    // A concurrent request with the same key committed first.
    const existing = await runSql(em, EXISTING_SQL, { channelId: target.channelId, idempotencyKey: req.idempotencyKey }, { row: IdRow });
    const existingId = existing.rows[0]?.id;
    if (!existingId)
      throw new InvariantError(`outbound message with key ${req.idempotencyKey} conflicted but cannot be found`, {
        channelId: target.channelId,
        idempotencyKey: req.idempotencyKey,
      });
    return { messageId: existingId, channelId: target.channelId, created: false };
  }

  /**
   * Gives the rows of each channel that has several of them one batch send job, recorded on each
   * row (`metadata.batchJob`) before they are inserted: one job, one claim and one record of the
   * sends for all of them instead of a job and shares of statements each. The outbox reconciler
   * leaves a message to its batch job while that job lives. Answers message id → batch job id.
   */
  sendTogether(rows: readonly QueuedMessageRow[]): Map<string, string> {
    const byChannel = new Map<string, QueuedMessageRow[]>();
    for (const row of rows) byChannel.set(row.channel_id, [...(byChannel.get(row.channel_id) ?? []), row]);
    const batchJobs = new Map<string, string>();
    for (const [channelId, channelRows] of byChannel) {
      if (channelRows.length < 2) continue;
      const batchJob = newSendBatchJob(channelId);
      for (const row of channelRows) {
        row.metadata = { ...row.metadata, batchJob };
        batchJobs.set(row.id, batchJob.id);
      }
    }
    return batchJobs;
  }

  /**
   * Adds the send jobs of committed messages: one per batch job named by the items (see
   * sendTogether), one per message for the others. A message already queued in Redis is not added
   * twice (the job id is the message id, or the batch's recorded id).
   */
  async dispatch(items: { channelId: string; messageId: string; batchJobId?: string }[]): Promise<void> {
    const singles = new Map<string, string[]>();
    const batches = new Map<string, { channelId: string; messageIds: string[] }>();
    for (const item of items) {
      if (item.batchJobId === undefined) singles.set(item.channelId, [...(singles.get(item.channelId) ?? []), item.messageId]);
      else {
        const batch = batches.get(item.batchJobId) ?? { channelId: item.channelId, messageIds: [] };
        batch.messageIds.push(item.messageId);
        batches.set(item.batchJobId, batch);
      }
    }
    await Promise.all([
      ...[...singles].map(([channelId, messageIds]) =>
        this.deps.queues
          .queue<SendJobData>(sendQueueName(channelId))
          .addBulk(
            messageIds.map((messageId) => ({ name: SEND_JOB_NAME, data: { messageId }, opts: sendJobOptions(messageId, this.retry) })),
          ),
      ),
      ...[...batches].map(([jobId, { channelId, messageIds }]) =>
        this.deps.queues
          .queue<SendBatchJobData>(sendQueueName(channelId))
          .add(SEND_BATCH_JOB_NAME, { messageIds }, sendBatchJobOptions(jobId, this.retry)),
      ),
    ]);
  }

  /**
   * Records the message in its own transaction, then dispatches it. A dispatch failure is logged,
   * not thrown: the message is stored, and the reconciler dispatches it later.
   */
  async send(request: OutboundRequest): Promise<{ messageId: string; created: boolean }> {
    const em = this.deps.orm.em.fork();
    const queued = await em.transactional((tem) => this.queueSend(tem, request));
    if (queued.created) {
      try {
        await this.dispatch([queued]);
      } catch (err) {
        this.deps.logger.warn(
          { err, messageId: queued.messageId, channelId: queued.channelId },
          'send dispatch failed; the outbox reconciler will dispatch it',
        );
      }
    }
    return { messageId: queued.messageId, created: queued.created };
  }
}

/** The request checked against its schema (ValidationError with every problem otherwise). */
function parseRequest(request: OutboundRequest): OutboundRequest {
  const parsed = OutboundRequestSchema.safeParse(request);
  if (!parsed.success) {
    throw new ValidationError('the outbound message is invalid', { details: zodIssueDetails(parsed.error) });
  }
  return parsed.data;
}
