import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { batchDueAt } from '../../engine/broadcasts/broadcast-pace.ts';
import type { BroadcastContent } from '../../engine/broadcasts/broadcast-spec.ts';
import type { SkipReason } from '../../engine/broadcasts/broadcast-state.ts';
import { quietUntil } from '../../engine/broadcasts/quiet-hours.ts';
import { CHANNEL_KINDS, type ChannelKind } from '../../engine/channels/channel-kind.ts';
import { automatedSendBlocker } from '../../engine/contacts/automated-send-blocker.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { BROADCAST_JOB_OPTIONS, BROADCASTS_QUEUE, type BroadcastBatchJobData, type BroadcastJobData } from './broadcast-queues.ts';
import { deferRecipients, lockPendingRecipients, type PendingRecipient } from './broadcast-recipients.sql.ts';
import { hasPendingRecipients, loadBroadcast, type BroadcastRow } from './broadcast-store.ts';
import { recipientTimeZone } from './recipient-timezone.ts';

/** A batch job that runs this much before its batch is due still sends it (timers are not exact). */
const DUE_TOLERANCE_MS = 50;

/** The broadcast's workspace and channel kind, as a batch sends with them. */
const BatchContextRow = z.object({ name: z.string(), timezone: z.string(), channelKind: z.enum(CHANNEL_KINDS) });

/** The recipients of a batch, sorted by what happens to them now. */
export interface SortedRecipients {
  ready: PendingRecipient[];
  skips: { id: string; reason: SkipReason }[];
  /** Recipients in their quiet hours, with the earliest instant one of them may be sent to. */
  deferred: string[];
  deferredUntil: Date | null;
}

/** Sorts a batch's pending recipients: consent (skip with the reason), quiet hours (defer), or ready. */
export function sortRecipients(b: BroadcastRow, rows: readonly PendingRecipient[], workspaceTimeZone: string, now: Date): SortedRecipients {
  const sorted: SortedRecipients = { ready: [], skips: [], deferred: [], deferredUntil: null };
  for (const r of rows) {
    const blocker = automatedSendBlocker(r, 'broadcast');
    if (blocker !== null) {
      sorted.skips.push({ id: r.id, reason: blocker });
      continue;
    }
    const until = b.quietHours
      ? quietUntil(now, b.quietHours, recipientTimeZone(b.quietHours, r.attributes ?? {}, workspaceTimeZone))
      : null;
    if (until !== null) {
      sorted.deferred.push(r.id);
      if (sorted.deferredUntil === null || until < sorted.deferredUntil) sorted.deferredUntil = until;
      continue;
    }
    sorted.ready.push(r);
  }
  return sorted;
}

/** A batch opened in its transaction: the broadcast, its workspace and channel, and its recipients sorted. */
export interface OpenedBatch<K extends BroadcastContent['kind']> {
  b: BroadcastRow & { content: Extract<BroadcastContent, { kind: K }> };
  workspace: { name: string; timezone: string };
  channelKind: ChannelKind;
  sorted: SortedRecipients;
}

/**
 * What a batch job (message or flow) does first, inside its transaction: under a share lock on
 * the broadcast (a pause or cancel waits for it, or it sees theirs), only while the broadcast runs
 * in the job's generation with content of one of `kinds`, and only once the batch is due at the pace
 * (else its due time); then takes the batch's pending recipients, sorts them, and records those in
 * quiet hours as waiting. Skips are the caller's to write, with any it adds.
 */
export async function openBatch<K extends BroadcastContent['kind']>(
  em: EntityManager,
  data: BroadcastBatchJobData,
  kinds: readonly K[],
  now: Date,
): Promise<'stale' | { dueAt: Date } | OpenedBatch<K>> {
  const b = await loadBroadcast(em, data.broadcastId, { lock: 'share' });
  if (b.state !== 'running' || b.generation !== data.generation || !(kinds as readonly string[]).includes(b.content.kind)) return 'stale';
  const dueAt = batchDueAt(data.batch, { batch: b.paceAnchorBatch, at: b.paceAnchorAt ?? now }, b.batchSize, b.effectivePacePerMinute);
  if (dueAt.getTime() > now.getTime() + DUE_TOLERANCE_MS) return { dueAt };
  const context = (
    await runSql(
      em,
      `select w.name, w.timezone, ch.kind as "channelKind" from workspaces w, channels ch where w.id = :workspaceId and ch.id = :channelId`,
      { workspaceId: b.workspaceId, channelId: b.channelId },
      { row: BatchContextRow },
    )
  ).rows[0];
  if (!context) return 'stale';
  const sorted = sortRecipients(b, await lockPendingRecipients(em, b.id, data.batch), context.timezone, now);
  if (sorted.deferredUntil !== null) await deferRecipients(em, sorted.deferred, sorted.deferredUntil, now);
  return {
    b: b as OpenedBatch<K>['b'],
    workspace: { name: context.name, timezone: context.timezone },
    channelKind: context.channelKind,
    sorted,
  };
}

/** Adds the check that completes a broadcast once none of its messages waits any more (one per generation at a time). */
export async function addFinishCheck(queues: QueueFactory, broadcastId: string, generation: number): Promise<void> {
  await queues
    .queue<BroadcastJobData>(BROADCASTS_QUEUE)
    .add('finish', { kind: 'finish', broadcastId }, { ...BROADCAST_JOB_OPTIONS, jobId: `finish-${broadcastId}-${generation}` });
}

/**
 * What a batch job does last: when recipients wait out their quiet hours, `addLater` adds the
 * batch's job for then; otherwise, once nothing of the broadcast is pending, its finish check.
 */
export async function closeBatch(
  em: EntityManager,
  queues: QueueFactory,
  data: BroadcastBatchJobData,
  deferredUntil: Date | null,
  addLater: (at: Date) => Promise<unknown>,
): Promise<void> {
  if (deferredUntil !== null) await addLater(deferredUntil);
  else if (!(await hasPendingRecipients(em, data.broadcastId))) await addFinishCheck(queues, data.broadcastId, data.generation);
}
