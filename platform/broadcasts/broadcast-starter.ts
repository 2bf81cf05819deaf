import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { audiencePhones } from '../../engine/broadcasts/audience-phones.ts';
import { batchSizeFor, effectivePace } from '../../engine/broadcasts/broadcast-pace.ts';
import type { BroadcastProblem } from '../../engine/broadcasts/broadcast-problem.ts';
import type { SkipReason } from '../../engine/broadcasts/broadcast-state.ts';
import { CHANNEL_KINDS } from '../../engine/channels/channel-kind.ts';
import type { Clock } from '../../engine/clock.ts';
import { automatedSendBlocker } from '../../engine/contacts/automated-send-blocker.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { enqueueBatches } from './broadcast-batch-jobs.ts';
import { templateProblems } from './broadcast-check.ts';
import { loadBroadcast, writeState, type BroadcastRow } from './broadcast-store.ts';
import { channelPaceCap } from '../../engine/channels/channel-pace-cap.ts';
import { scanSegment } from './segment-scan.ts';

/** How long a broadcast whose channel is not connected waits before it looks again. */
export const CHANNEL_WAIT_MS = 30_000;
/** A start job that fires this much before the broadcast's time (a clock skew between processes) still starts it. */
const START_EARLY_TOLERANCE_MS = 1_000;

/** What a start job did. */
export type StartOutcome =
  | { kind: 'started'; recipients: number; skipped: number; snapshotMs: number; enqueueMs: number }
  | { kind: 'waiting'; retryInMs: number }
  | { kind: 'not-due' }
  | { kind: 'failed'; reason: string };

const ChannelRow = z.object({
  kind: z.enum(CHANNEL_KINDS),
  status: z.string(),
  settings: z.unknown(),
  deletedAt: z.date().nullable(),
});

/** A contact of the audience: when it was created, and what decides whether it may be messaged. */
const AudienceContact = z.object({
  id: z.string(),
  createdAt: z.date(),
  optedOutAt: z.date().nullable(),
  restrictedAt: z.date().nullable(),
  erasedAt: z.date().nullable(),
});
type AudienceContact = z.infer<typeof AudienceContact>;

const INSERT_RECIPIENTS_SQL = `
insert into broadcast_recipients (id, broadcast_id, workspace_id, contact_id, batch, state, skip_reason, updated_at)
select r.id, :broadcastId, :workspaceId, r.contact_id, r.batch, case when r.reason is null then 'pending' else 'skipped' end, r.reason, :now
  from unnest(cast(:ids as uuid[]), cast(:contactIds as uuid[]), cast(:batches as integer[]), cast(:reasons as text[])) as r(id, contact_id, batch, reason)
on conflict (broadcast_id, contact_id) do nothing`;

/*
 * Phones of an explicit audience that are not contacts yet become contacts (a CSV of customers
 * is how a workspace meets them), then every phone is read back with its consent state.
 */
const UPSERT_PHONE_CONTACTS_SQL = `
insert into contacts (id, workspace_id, phone, created_at, updated_at)
select p.id, :workspaceId, p.phone, :now, :now from unnest(cast(:ids as uuid[]), cast(:phones as text[])) as p(id, phone)
on conflict (workspace_id, phone) where phone is not null do nothing`;
const PHONE_CONTACTS_SQL = `
select id, created_at as "createdAt", opted_out_at as "optedOutAt", restricted_at as "restrictedAt", erased_at as "erasedAt"
  from contacts where workspace_id = :workspaceId and phone = any(cast(:phones as text[])) and not is_test order by created_at, id`;

/**
 * Starts a scheduled broadcast: snapshots its audience into recipient rows, in one transaction
 * with its move to `running`, then adds its batch jobs.
 * - The snapshot holds the contacts that exist when it starts: one created later is not a recipient.
 * - Opted-out, restricted and erased contacts get a `skipped` row with the reason, so they are counted.
 * - Recipients are numbered into batches in the order they were found; batch n is due at the pace.
 * - A channel that is not connected leaves it `scheduled` with the reason; the job looks again later.
 */
export class BroadcastStarter {
  constructor(private readonly deps: { orm: Orm; queues: QueueFactory; clock: Clock; logger: Logger }) {}

  async start(broadcastId: string): Promise<StartOutcome> {
    const em = this.deps.orm.em.fork();
    const first = await loadBroadcast(em, broadcastId);
    const now = this.deps.clock.now();
    if (first.state !== 'scheduled' || (first.nextRunAt !== null && first.nextRunAt.getTime() > now.getTime() + START_EARLY_TOLERANCE_MS))
      return { kind: 'not-due' };
    const channel = (
      await runSql(
        em,
        `select kind, status, settings, deleted_at as "deletedAt" from channels where id = :id`,
        { id: first.channelId },
        { row: ChannelRow },
      )
    ).rows[0];
    if (!channel || channel.deletedAt !== null) {
      await writeState(
        em,
        broadcastId,
        { state: 'failed', stateReason: "channel_deleted: the broadcast's channel was deleted", finishedAt: now, nextRunAt: null },
        now,
      );
      return { kind: 'failed', reason: 'channel_deleted' };
    }
    if (channel.status !== 'connected') {
      await runSql(em, `update broadcasts set state_reason = :reason, updated_at = :now where id = :id and state = 'scheduled'`, {
        id: broadcastId,
        reason: `channel_not_connected: the channel is ${channel.status}; the broadcast starts when it connects`,
        now,
      });
      return { kind: 'waiting', retryInMs: CHANNEL_WAIT_MS };
    }

    const startedMs = performance.now();
    const result = await em.transactional(async (tem) => {
      const b = await loadBroadcast(tem, broadcastId, { lock: 'update' });
      if (b.state !== 'scheduled') return null;
      const unsendable = await this.recordTemplateVersion(tem, b);
      if (unsendable !== null) {
        await writeState(
          tem,
          broadcastId,
          { state: 'failed', stateReason: `${unsendable.code}: ${unsendable.message}`, finishedAt: now, nextRunAt: null },
          now,
        );
        return { b, counts: { recipients: 0, skipped: 0 }, started: false, reason: unsendable.code as string };
      }
      const pace = effectivePace(b.pacePerMinute, channelPaceCap(channel.kind, channel.settings));
      const batchSize = batchSizeFor(pace);
      const counts = await this.snapshot(tem, b, batchSize, now);
      if (counts.recipients === 0) {
        await writeState(
          tem,
          broadcastId,
          {
            state: 'failed',
            stateReason: `empty_audience: no contact that may receive automated messages matched when it started (${counts.skipped} skipped)`,
            startedAt: now,
            finishedAt: now,
            nextRunAt: null,
          },
          now,
        );
        return { b, counts, started: false, reason: 'empty_audience' as string };
      }
      await runSql(
        tem,
        `update broadcasts set effective_pace_per_minute = cast(:pace as integer), batch_size = :batchSize, batch_count = :batchCount where id = :id`,
        { id: broadcastId, pace, batchSize, batchCount: Math.ceil(counts.recipients / batchSize) },
      );
      await writeState(
        tem,
        broadcastId,
        { state: 'running', stateReason: null, startedAt: now, nextRunAt: null, paceAnchorBatch: 0, paceAnchorAt: now },
        now,
      );
      return { b: await loadBroadcast(tem, broadcastId), counts, started: true, reason: null };
    });
    if (!result) return { kind: 'not-due' };
    if (!result.started) return { kind: 'failed', reason: result.reason ?? 'failed' };
    const snapshotMs = Math.round(performance.now() - startedMs);
    const batches = Array.from({ length: result.b.batchCount }, (_, i) => i);
    await enqueueBatches(this.deps.queues, result.b, batches, now);
    const enqueueMs = Math.round(performance.now() - startedMs - snapshotMs);
    this.deps.logger.info({ broadcastId, ...result.counts, batches: batches.length, snapshotMs, enqueueMs }, 'broadcast started');
    return { kind: 'started', ...result.counts, snapshotMs, enqueueMs };
  }

  /**
   * A template broadcast sends the template's version current now, for all its batches: the
   * version is recorded on the broadcast in the transaction that starts it (an edit afterwards
   * changes nothing of it; one before, while it was scheduled, is what it sends). Answers why it
   * cannot be sent (it fails with that reason), or null.
   */
  private async recordTemplateVersion(em: EntityManager, b: BroadcastRow): Promise<BroadcastProblem | null> {
    if (b.content.kind !== 'template') return null;
    const [problem] = await templateProblems(em, b.workspaceId, b.content.templateId);
    if (problem) return problem;
    await runSql(
      em,
      `update broadcasts set template_version_id = (select current_version_id from message_templates where id = :templateId) where id = :id`,
      { id: b.id, templateId: b.content.templateId },
    );
    return null;
  }

  /** Writes the recipient rows; answers how many may be sent to and how many were skipped. */
  private async snapshot(
    em: EntityManager,
    b: BroadcastRow,
    batchSize: number,
    now: Date,
  ): Promise<{ recipients: number; skipped: number }> {
    let recipients = 0;
    let skipped = 0;
    const write = async (contacts: readonly AudienceContact[]) => {
      const ids: string[] = [];
      const contactIds: string[] = [];
      const batches: number[] = [];
      const reasons: (SkipReason | null)[] = [];
      for (const c of contacts) {
        // The snapshot's moment: a contact created after it is not part of this broadcast.
        if (c.createdAt.getTime() > now.getTime()) continue;
        const reason = automatedSendBlocker(c, 'broadcast');
        ids.push(newId());
        contactIds.push(c.id);
        reasons.push(reason);
        if (reason === null) batches.push(Math.floor(recipients++ / batchSize));
        else {
          batches.push(-1);
          skipped += 1;
        }
      }
      if (ids.length > 0)
        await runSql(em, INSERT_RECIPIENTS_SQL, { broadcastId: b.id, workspaceId: b.workspaceId, now, ids, contactIds, batches, reasons });
    };
    if (b.audience.kind === 'segment') {
      await scanSegment(em, { workspaceId: b.workspaceId, rule: b.audience.rule }, write);
    } else {
      const { phones } = audiencePhones(b.audience);
      await runSql(em, UPSERT_PHONE_CONTACTS_SQL, { workspaceId: b.workspaceId, now, ids: phones.map(() => newId()), phones });
      const { rows } = await runSql(em, PHONE_CONTACTS_SQL, { workspaceId: b.workspaceId, phones }, { row: AudienceContact });
      await write(rows);
    }
    return { recipients, skipped };
  }
}
