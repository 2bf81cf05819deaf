import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Audience, BroadcastContent, BroadcastSchedule, QuietHours } from '../../engine/broadcasts/broadcast-spec.ts';
import {
  BROADCAST_STATES,
  RECIPIENT_STATUSES,
  SKIP_REASONS,
  type BroadcastState,
  type RecipientStatus,
  type SkipReason,
} from '../../engine/broadcasts/broadcast-state.ts';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { emitEvents } from '../webhooks/webhook-events.ts';
import { broadcastFinishedEvents } from '../webhooks/event-payloads.ts';

/*
 * The spec's parts as stored (broadcast-spec.ts): the same fields, without the input rules
 * (lengths, a URL's form, a valid time zone or cron). The spec was checked when it was written; a
 * row written before a rule changed (or a time zone its ICU no longer knows) must still load.
 */
const StoredAudience = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('segment'), rule: z.json() }),
  z.object({ kind: z.literal('phones'), phones: z.array(z.string()) }),
  z.object({ kind: z.literal('csv'), csv: z.string() }),
]) satisfies z.ZodType<Audience>;
const StoredContent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), text: z.string(), mediaUrl: z.string().optional() }),
  z.object({ kind: z.literal('template'), templateId: z.string() }),
  z.object({ kind: z.literal('flow'), flowId: z.string() }),
]) satisfies z.ZodType<BroadcastContent>;
const StoredSchedule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('now') }),
  z.object({ kind: z.literal('at'), localTime: z.string(), timezone: z.string() }),
  z.object({ kind: z.literal('recurring'), cron: z.string(), timezone: z.string() }),
]) satisfies z.ZodType<BroadcastSchedule>;
const StoredQuietHours = z.object({
  start: z.string(),
  end: z.string(),
  timezone: z.enum(['contact', 'workspace']),
}) satisfies z.ZodType<QuietHours>;

/** A broadcast row as the code reads it (`BROADCAST_COLUMNS`). */
export const BroadcastRow = z.object({
  id: z.string(),
  workspaceId: z.string(),
  parentId: z.string().nullable(),
  occurrenceKey: z.string().nullable(),
  name: z.string(),
  channelId: z.string(),
  audience: StoredAudience,
  content: StoredContent,
  schedule: StoredSchedule,
  quietHours: StoredQuietHours.nullable(),
  pacePerMinute: z.number().nullable(),
  state: z.enum(BROADCAST_STATES),
  stateReason: z.string().nullable(),
  nextRunAt: z.date().nullable(),
  generation: z.number(),
  paceAnchorBatch: z.number(),
  paceAnchorAt: z.date().nullable(),
  effectivePacePerMinute: z.number().nullable(),
  batchSize: z.number(),
  batchCount: z.number(),
  createdBy: z.string().nullable(),
  /** A template broadcast's version, recorded when it started (null before, and for other content). */
  templateVersionId: z.string().nullable(),
  /** That version's number, for people. */
  templateVersion: z.number().nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type BroadcastRow = z.infer<typeof BroadcastRow>;

export const BROADCAST_COLUMNS = `b.id, b.workspace_id as "workspaceId", b.parent_id as "parentId", b.occurrence_key as "occurrenceKey", b.name,
  b.channel_id as "channelId", b.audience, b.content, b.schedule, b.quiet_hours as "quietHours", b.pace_per_minute as "pacePerMinute",
  b.state, b.state_reason as "stateReason", b.next_run_at as "nextRunAt", b.generation, b.pace_anchor_batch as "paceAnchorBatch",
  b.pace_anchor_at as "paceAnchorAt", b.effective_pace_per_minute as "effectivePacePerMinute", b.batch_size as "batchSize", b.batch_count as "batchCount", b.created_by as "createdBy",
  b.template_version_id as "templateVersionId", (select tv.version from message_template_versions tv where tv.id = b.template_version_id) as "templateVersion",
  b.started_at as "startedAt", b.finished_at as "finishedAt", b.created_at as "createdAt", b.updated_at as "updatedAt"`;

/**
 * Loads a broadcast; with `workspaceId`, only the workspace's own (else NotFoundError). `lock`
 * takes the row lock that orders state changes: a batch job reads `for share`, a command `for update`.
 */
export async function loadBroadcast(
  em: EntityManager,
  id: string,
  opts: { workspaceId?: string; lock?: 'share' | 'update' } = {},
): Promise<BroadcastRow> {
  const lock = opts.lock === 'update' ? 'for update' : opts.lock === 'share' ? 'for share' : '';
  const { rows } = await runSql(
    em,
    `select ${BROADCAST_COLUMNS} from broadcasts b where b.id = :id and (cast(:workspaceId as uuid) is null or b.workspace_id = cast(:workspaceId as uuid)) ${lock}`,
    { id, workspaceId: opts.workspaceId ?? null },
    { row: BroadcastRow },
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('broadcast', id);
  return row;
}

/** The state columns a transition writes. */
export interface StateChange {
  state: BroadcastState;
  stateReason?: string | null;
  nextRunAt?: Date | null;
  generation?: number;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  paceAnchorBatch?: number;
  paceAnchorAt?: Date | null;
}

/** A broadcast as `broadcast.finished` events name it. */
const FinishedBroadcastRow = z.object({
  id: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  state: z.enum(BROADCAST_STATES),
  stateReason: z.string().nullable(),
});

/** Writes a state change; a column not named keeps its value. */
export async function writeState(em: EntityManager, id: string, change: StateChange, now: Date): Promise<void> {
  const { rows } = await runSql(
    em,
    `update broadcasts set state = :state,
            state_reason = case when :setReason then cast(:stateReason as text) else state_reason end,
            next_run_at = case when :setNextRun then cast(:nextRunAt as timestamptz) else next_run_at end,
            generation = coalesce(cast(:generation as integer), generation),
            started_at = case when :setStarted then cast(:startedAt as timestamptz) else started_at end,
            finished_at = case when :setFinished then cast(:finishedAt as timestamptz) else finished_at end,
            pace_anchor_batch = coalesce(cast(:paceAnchorBatch as integer), pace_anchor_batch),
            pace_anchor_at = case when :setAnchor then cast(:paceAnchorAt as timestamptz) else pace_anchor_at end,
            updated_at = :now
      where id = :id
  returning id, workspace_id as "workspaceId", name, state, state_reason as "stateReason"`,
    {
      id,
      now,
      state: change.state,
      setReason: change.stateReason !== undefined,
      stateReason: change.stateReason ?? null,
      setNextRun: change.nextRunAt !== undefined,
      nextRunAt: change.nextRunAt ?? null,
      generation: change.generation ?? null,
      setStarted: change.startedAt !== undefined,
      startedAt: change.startedAt ?? null,
      setFinished: change.finishedAt !== undefined,
      finishedAt: change.finishedAt ?? null,
      paceAnchorBatch: change.paceAnchorBatch ?? null,
      setAnchor: change.paceAnchorAt !== undefined,
      paceAnchorAt: change.paceAnchorAt ?? null,
    },
    { row: FinishedBroadcastRow },
  );
  if (change.finishedAt) await emitEvents(em, broadcastFinishedEvents(rows, change.finishedAt));
}

/*
 * A recipient's status as the API shows it (RECIPIENT_STATUSES): its row's state until its
 * message exists, then the message's status; a flow broadcast's recipient is `sent` once its run
 * started (`failed` when the run failed). A message deleted by retention had left: `sent`.
 */
export const RECIPIENT_STATUS_SQL = `case
  when r.state = 'pending' then 'pending'
  when r.state = 'skipped' then 'skipped'
  when r.run_id is not null then case when run.status = 'failed' then 'failed' else 'sent' end
  when m.status is null then 'sent'
  when m.status = 'queued' then 'pending'
  else m.status end`;

export const RECIPIENT_JOINS = `left join messages m on m.id = r.message_id
  left join runs run on run.id = r.run_id`;

/** One group of a broadcast's recipients: their status, skip reason, how many, and how many opted out after. */
export interface RecipientCount {
  status: RecipientStatus;
  skipReason: SkipReason | null;
  count: number;
  optedOutAfter: number;
}

const RecipientCountRow = z.object({
  broadcastId: z.string(),
  status: z.enum(RECIPIENT_STATUSES),
  skipReason: z.enum(SKIP_REASONS).nullable(),
  count: z.number(),
  optedOutAfter: z.number(),
});

/** Recipient counts by status, skip reason and later opt-outs, for several broadcasts in one statement. */
export async function recipientCounts(em: EntityManager, broadcastIds: readonly string[]): Promise<Map<string, RecipientCount[]>> {
  const byBroadcast = new Map<string, RecipientCount[]>(broadcastIds.map((id) => [id, []]));
  if (broadcastIds.length === 0) return byBroadcast;
  const { rows } = await runSql(
    em,
    `select r.broadcast_id as "broadcastId", ${RECIPIENT_STATUS_SQL} as status, r.skip_reason as "skipReason", count(*) as count, count(r.opted_out_at) as "optedOutAfter"
       from broadcast_recipients r ${RECIPIENT_JOINS}
      where r.broadcast_id = any(cast(:broadcastIds as uuid[]))
      group by 1, 2, 3`,
    { broadcastIds },
    { row: RecipientCountRow },
  );
  for (const r of rows)
    byBroadcast.get(r.broadcastId)?.push({ status: r.status, skipReason: r.skipReason, count: r.count, optedOutAfter: r.optedOutAfter });
  return byBroadcast;
}

const PendingRow = z.object({ pending: z.boolean() });

/** True when the broadcast has recipients not yet recorded in the outbox. */
export async function hasPendingRecipients(em: EntityManager, broadcastId: string): Promise<boolean> {
  const { rows } = await runSql(
    em,
    `select exists (select 1 from broadcast_recipients where broadcast_id = :broadcastId and state = 'pending') as pending`,
    { broadcastId },
    { row: PendingRow },
  );
  return rows[0]?.pending === true;
}

const QueuedRow = z.object({ queued: z.boolean() });

/** True when a message of the broadcast still waits in the outbox. */
export async function hasQueuedMessages(em: EntityManager, broadcastId: string): Promise<boolean> {
  const { rows } = await runSql(
    em,
    `select exists (select 1 from broadcast_recipients r join messages m on m.id = r.message_id
                     where r.broadcast_id = :broadcastId and r.state = 'queued' and m.status = 'queued') as queued`,
    { broadcastId },
    { row: QueuedRow },
  );
  return rows[0]?.queued === true;
}

const BatchRow = z.object({ batch: z.number() });

/** Pending batches of a running broadcast, in order (to add their jobs at a resume or after a loss). */
export async function pendingBatches(em: EntityManager, broadcastId: string): Promise<number[]> {
  const { rows } = await runSql(
    em,
    `select distinct batch from broadcast_recipients where broadcast_id = :broadcastId and state = 'pending' order by batch`,
    { broadcastId },
    { row: BatchRow },
  );
  return rows.map((r) => r.batch);
}
