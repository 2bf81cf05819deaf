import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Queue } from 'bullmq';
import { audiencePhones } from '../../engine/broadcasts/audience-phones.ts';
import { effectivePace } from '../../engine/broadcasts/broadcast-pace.ts';
import type { BroadcastProblem } from '../../engine/broadcasts/broadcast-problem.ts';
import type { BroadcastSpec } from '../../engine/broadcasts/broadcast-spec.ts';
import { canApply, statesAllowing, type BroadcastAction } from '../../engine/broadcasts/broadcast-state.ts';
import { scheduledInstant } from '../../engine/broadcasts/scheduled-instant.ts';
import { CHANNEL_KINDS } from '../../engine/channels/channel-kind.ts';
import type { Clock } from '../../engine/clock.ts';
import { automatedSendBlocker } from '../../engine/contacts/automated-send-blocker.ts';
import { BroadcastInvalidError } from '../../engine/errors/broadcast-invalid.error.ts';
import { BroadcastStateConflictError } from '../../engine/errors/broadcast-state-conflict.error.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { checkBroadcast } from './broadcast-check.ts';
import { BROADCAST_JOB_OPTIONS, BROADCASTS_QUEUE, recurringSchedulerId, startJobId, type BroadcastJobData } from './broadcast-queues.ts';
import { addFinishCheck } from './broadcast-batch-opening.ts';
import { enqueueBatches } from './broadcast-batch-jobs.ts';
import { loadBroadcast, pendingBatches, writeState, type BroadcastRow } from './broadcast-store.ts';
import { channelPaceCap } from '../../engine/channels/channel-pace-cap.ts';
import { scanSegment } from './segment-scan.ts';

/** What a channel's pace cap is computed from. */
const ChannelPaceRow = z.object({ kind: z.enum(CHANNEL_KINDS), settings: z.unknown() });

/** The spec fields a PATCH may change. */
export type BroadcastPatch = Partial<BroadcastSpec>;

/**
 * What the API does to broadcasts: each command checks the state machine (BroadcastStateConflictError)
 * and the broadcast itself (BroadcastInvalidError), writes the new state under the row lock, and
 * then adds or removes the jobs that carry it out. A job that runs against a state it no longer
 * expects does nothing, so a lost race between a command and a job is harmless.
 */
export class BroadcastCommands {
  constructor(private readonly deps: { queues: QueueFactory; clock: Clock; logger: Logger }) {}

  private get queue(): Queue<BroadcastJobData> {
    return this.deps.queues.queue<BroadcastJobData>(BROADCASTS_QUEUE);
  }

  /** Records a draft; a problem that needs no schedule (unknown variable, bad phone, unsafe rule) is refused now. */
  async create(em: EntityManager, workspaceId: string, userId: string | null, spec: BroadcastSpec): Promise<BroadcastRow> {
    const now = this.deps.clock.now();
    refuseProblems(await checkBroadcast(em, { workspaceId, ...spec }, { forScheduling: false, now }));
    const id = newId();
    await runSql(
      em,
      `insert into broadcasts (id, workspace_id, name, channel_id, audience, content, schedule, quiet_hours, pace_per_minute, state, created_by, created_at, updated_at)
       values (:id, :workspaceId, :name, :channelId, cast(:audience as jsonb), cast(:content as jsonb), cast(:schedule as jsonb), cast(:quietHours as jsonb), cast(:pace as integer), 'draft', cast(:userId as uuid), :now, :now)`,
      {
        id,
        workspaceId,
        name: spec.name,
        channelId: spec.channelId,
        audience: JSON.stringify(spec.audience),
        content: JSON.stringify(spec.content),
        schedule: JSON.stringify(spec.schedule),
        quietHours: spec.quietHours === null ? null : JSON.stringify(spec.quietHours),
        pace: spec.pacePerMinute,
        userId,
        now,
      },
    );
    return loadBroadcast(em, id);
  }

  /**
   * Changes a draft, a scheduled or a paused broadcast. A scheduled one is scheduled again with
   * its new time (a recurring one's scheduler is updated in place); a paused one keeps its
   * recipients and takes the new pace, quiet hours and name when resumed.
   */
  async update(em: EntityManager, workspaceId: string, id: string, patch: BroadcastPatch): Promise<BroadcastRow> {
    const after = await em.transactional(async (tem) => {
      const b = await this.lockFor(tem, workspaceId, id, 'edit');
      const started = b.startedAt !== null;
      if (
        started &&
        (patch.audience !== undefined || patch.content !== undefined || patch.channelId !== undefined || patch.schedule !== undefined)
      ) {
        throw new BroadcastInvalidError([
          {
            code: 'not_editable',
            message:
              'a broadcast that has started keeps its channel, audience, content and schedule; only its name, pace and quiet hours may change',
            path: '',
          },
        ]);
      }
      const merged = {
        name: b.name,
        channelId: b.channelId,
        audience: b.audience,
        content: b.content,
        schedule: b.schedule,
        quietHours: b.quietHours,
        pacePerMinute: b.pacePerMinute,
        ...patch,
      };
      const now = this.deps.clock.now();
      refuseProblems(await checkBroadcast(tem, { workspaceId, ...merged }, { forScheduling: b.state === 'scheduled', now }));
      await runSql(
        tem,
        `update broadcasts set name = :name, channel_id = :channelId, audience = cast(:audience as jsonb), content = cast(:content as jsonb), schedule = cast(:schedule as jsonb),
                quiet_hours = cast(:quietHours as jsonb), pace_per_minute = cast(:pace as integer), updated_at = :now where id = :id`,
        {
          id,
          name: merged.name,
          channelId: merged.channelId,
          audience: JSON.stringify(merged.audience),
          content: JSON.stringify(merged.content),
          schedule: JSON.stringify(merged.schedule),
          quietHours: merged.quietHours === null ? null : JSON.stringify(merged.quietHours),
          pace: merged.pacePerMinute,
          now,
        },
      );
      if (b.state === 'scheduled') await writeState(tem, id, { state: 'scheduled', generation: b.generation + 1 }, now);
      return loadBroadcast(tem, id);
    });
    if (after.state === 'scheduled') return this.arm(em, after);
    return after;
  }

  /** Deletes a draft (a broadcast that ran keeps its record; cancel it instead). */
  async remove(em: EntityManager, workspaceId: string, id: string): Promise<void> {
    await em.transactional(async (tem) => {
      const b = await loadBroadcast(tem, id, { workspaceId, lock: 'update' });
      if (b.state !== 'draft') throw new BroadcastStateConflictError(id, 'edit', b.state, ['draft']);
      await runSql(tem, `delete from broadcasts where id = :id`, { id });
    });
  }

  /** draft → scheduled: checks it fully (an empty audience, a past time), then arms its start job or scheduler. */
  async schedule(em: EntityManager, workspaceId: string, id: string): Promise<BroadcastRow> {
    const scheduled = await em.transactional(async (tem) => {
      const b = await this.lockFor(tem, workspaceId, id, 'schedule');
      const now = this.deps.clock.now();
      const problems = await checkBroadcast(tem, b, { forScheduling: true, now });
      if (problems.length === 0 && b.schedule.kind !== 'recurring') {
        const reachable = await reachableAudience(tem, workspaceId, b);
        if (reachable === 0)
          problems.push({
            code: 'audience_empty',
            message: 'no contact that may receive automated messages matches this audience',
            path: 'audience',
          });
      }
      refuseProblems(problems);
      await writeState(tem, id, { state: 'scheduled', stateReason: null, generation: b.generation + 1 }, now);
      return loadBroadcast(tem, id);
    });
    return this.arm(em, scheduled);
  }

  /** scheduled or running → paused. A running broadcast stops after the batch being sent. */
  async pause(em: EntityManager, workspaceId: string, id: string, by: string): Promise<BroadcastRow> {
    const paused = await em.transactional(async (tem) => {
      await this.lockFor(tem, workspaceId, id, 'pause');
      await writeState(tem, id, { state: 'paused', stateReason: `paused by ${by}` }, this.deps.clock.now());
      return loadBroadcast(tem, id);
    });
    if (paused.schedule.kind === 'recurring' && paused.parentId === null) await this.queue.removeJobScheduler(recurringSchedulerId(id));
    return paused;
  }

  /**
   * paused → running (it had started: its pending batches get jobs of a new generation, paced
   * from now) or → scheduled (it had not: armed again; a start time that passed starts it now).
   */
  async resume(em: EntityManager, workspaceId: string, id: string): Promise<BroadcastRow> {
    const now = this.deps.clock.now();
    const { row, batches } = await em.transactional(async (tem) => {
      const b = await this.lockFor(tem, workspaceId, id, 'resume');
      const generation = b.generation + 1;
      if (b.startedAt === null || (b.schedule.kind === 'recurring' && b.parentId === null)) {
        await writeState(tem, id, { state: 'scheduled', stateReason: null, generation }, now);
        return { row: await loadBroadcast(tem, id), batches: null };
      }
      const pending = await pendingBatches(tem, id);
      // The pace may have been edited while paused; the batches keep their size, their due times follow the new pace.
      const channel = (
        await runSql(tem, `select kind, settings from channels where id = :id`, { id: b.channelId }, { row: ChannelPaceRow })
      ).rows[0];
      const pace = channel ? effectivePace(b.pacePerMinute, channelPaceCap(channel.kind, channel.settings)) : b.effectivePacePerMinute;
      await runSql(tem, `update broadcasts set effective_pace_per_minute = cast(:pace as integer) where id = :id`, { id, pace });
      await writeState(
        tem,
        id,
        { state: 'running', stateReason: null, generation, paceAnchorBatch: pending[0] ?? 0, paceAnchorAt: now },
        now,
      );
      return { row: await loadBroadcast(tem, id), batches: pending };
    });
    if (batches === null) return this.arm(em, row);
    await enqueueBatches(this.deps.queues, row, batches, now);
    // Nothing left to send: the finish check completes it.
    if (batches.length === 0) await addFinishCheck(this.deps.queues, id, row.generation);
    return row;
  }

  /** → cancelled: pending recipients are skipped as `cancelled`; a recurring broadcast's scheduler is removed. */
  async cancel(em: EntityManager, workspaceId: string, id: string, by: string): Promise<BroadcastRow> {
    const now = this.deps.clock.now();
    const cancelled = await em.transactional(async (tem) => {
      await this.lockFor(tem, workspaceId, id, 'cancel');
      await writeState(tem, id, { state: 'cancelled', stateReason: `cancelled by ${by}`, nextRunAt: null, finishedAt: now }, now);
      await runSql(
        tem,
        `update broadcast_recipients set state = 'skipped', skip_reason = 'cancelled', updated_at = :now where broadcast_id = :id and state = 'pending'`,
        { id, now },
      );
      return loadBroadcast(tem, id);
    });
    if (cancelled.schedule.kind === 'recurring' && cancelled.parentId === null)
      await this.queue.removeJobScheduler(recurringSchedulerId(id));
    return cancelled;
  }

  /** Adds the start job (one-off) or upserts the job scheduler (recurring), and records when it will run. */
  private async arm(em: EntityManager, b: BroadcastRow): Promise<BroadcastRow> {
    const now = this.deps.clock.now();
    if (b.schedule.kind === 'recurring' && b.parentId === null) {
      const schedulerId = recurringSchedulerId(b.id);
      await this.queue.upsertJobScheduler(
        schedulerId,
        { pattern: b.schedule.cron, tz: b.schedule.timezone },
        { name: 'occurrence', data: { kind: 'occurrence', broadcastId: b.id }, opts: BROADCAST_JOB_OPTIONS },
      );
      const scheduler = await this.queue.getJobScheduler(schedulerId);
      return this.recordNextRun(em, b, new Date(scheduler?.next ?? now.getTime()));
    }
    const at = b.schedule.kind === 'recurring' ? now : scheduledInstant(b.schedule, now);
    const nextRunAt = at.getTime() < now.getTime() ? now : at;
    // Recorded before the start job is added: a job due now may run before `add` returns, and the
    // starter refuses a broadcast whose recorded time is still ahead (an edit from 2099 to now left
    // it scheduled for 2099 until the reconciler's next pass).
    const armed = await this.recordNextRun(em, b, nextRunAt);
    await this.queue.add(
      'start',
      { kind: 'start', broadcastId: b.id },
      { ...BROADCAST_JOB_OPTIONS, jobId: startJobId(b.id, b.generation), delay: Math.max(0, nextRunAt.getTime() - now.getTime()) },
    );
    return armed;
  }

  private async recordNextRun(em: EntityManager, b: BroadcastRow, nextRunAt: Date): Promise<BroadcastRow> {
    await runSql(em, `update broadcasts set next_run_at = :nextRunAt where id = :id and state = 'scheduled'`, { id: b.id, nextRunAt });
    return { ...b, nextRunAt };
  }

  private async lockFor(em: EntityManager, workspaceId: string, id: string, action: BroadcastAction): Promise<BroadcastRow> {
    const b = await loadBroadcast(em, id, { workspaceId, lock: 'update' });
    if (!canApply(action, b.state)) throw new BroadcastStateConflictError(id, action, b.state, statesAllowing(action));
    return b;
  }
}

/** Refuses the broadcast with every problem found, if any. */
function refuseProblems(problems: readonly BroadcastProblem[]): void {
  if (problems.length > 0) throw new BroadcastInvalidError(problems);
}

const BlockedCountRow = z.object({ blocked: z.number() });

/** How many contacts of the audience automated messages may reach now (phones not yet contacts count as reachable). */
async function reachableAudience(em: EntityManager, workspaceId: string, b: BroadcastRow): Promise<number> {
  if (b.audience.kind !== 'segment') {
    const { phones } = audiencePhones(b.audience);
    const { rows } = await runSql(
      em,
      `select count(*) as blocked from contacts where workspace_id = :workspaceId and phone = any(cast(:phones as text[]))
          and (opted_out_at is not null or restricted_at is not null or erased_at is not null)`,
      { workspaceId, phones },
      { row: BlockedCountRow },
    );
    return phones.length - (rows[0]?.blocked ?? 0);
  }
  let reachable = 0;
  await scanSegment(em, { workspaceId, rule: b.audience.rule }, (matched) => {
    for (const c of matched) if (automatedSendBlocker(c, 'broadcast') === null) reachable += 1;
  });
  return reachable;
}
