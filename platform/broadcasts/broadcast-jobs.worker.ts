import { DelayedError, type Job, type Worker } from 'bullmq';
import type { Clock } from '../../engine/clock.ts';
import type { Orm } from '../db/orm.ts';
import type { TriggeredRuns } from '../automation/triggered-runs.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { BroadcastFlowBatchProcessor, type FlowBatchOutcome } from './broadcast-flow-batch.processor.ts';
import { BROADCAST_JOB_OPTIONS, BROADCASTS_QUEUE, recurringSchedulerId, startJobId, type BroadcastJobData } from './broadcast-queues.ts';
import { BroadcastStarter, type StartOutcome } from './broadcast-starter.ts';
import { hasPendingRecipients, hasQueuedMessages, loadBroadcast, writeState } from './broadcast-store.ts';

/** Jobs of the broadcasts queue handled at once by one process (snapshots are heavy; batches of flows lighter). */
const BROADCAST_JOBS_IN_FLIGHT = 4;
/** How often a finish check looks again while messages of the broadcast still wait in the outbox: from this… */
const FINISH_RECHECK_MIN_MS = 1_000;
/** …to this, growing with the check's age. */
const FINISH_RECHECK_MAX_MS = 60_000;

/*
 * One occurrence of a recurring broadcast: a broadcast of its own, scheduled now, with the same
 * spec. `occurrence_key` (the scheduler's job id, which names the firing) makes a retried firing
 * insert nothing.
 */
const INSERT_OCCURRENCE_SQL = `
insert into broadcasts (id, workspace_id, parent_id, occurrence_key, name, channel_id, audience, content, schedule, quiet_hours, pace_per_minute, state, next_run_at, created_by, created_at, updated_at)
select :id, p.workspace_id, p.id, :occurrenceKey, p.name || ' · ' || to_char(cast(:now as timestamptz) at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC', p.channel_id, p.audience, p.content,
       '{"kind":"now"}', p.quiet_hours, p.pace_per_minute, 'scheduled', :now, p.created_by, :now, :now
  from broadcasts p
 where p.id = :parentId and p.state = 'scheduled'
on conflict (parent_id, occurrence_key) where parent_id is not null do nothing
returning id`;

/** What a finish check found: the broadcast is not running, still has pending recipients, or is now completed. */
export type FinishOutcome = 'not-running' | 'pending' | 'completed';

/**
 * What a job of the broadcasts queue did (its return value). A job that is to run again later
 * (a start waiting for its channel, a batch not due yet, a finish check with messages still
 * queued) is moved back to the delayed jobs and answers nothing.
 */
export type BroadcastJobOutcome =
  Exclude<StartOutcome, { kind: 'waiting' }> | { occurrenceId: string | null } | FinishOutcome | Exclude<FlowBatchOutcome, { dueAt: Date }>;

/**
 * The worker role's part of broadcasts, on the `broadcasts` queue: start (snapshot, then batches),
 * the occurrences of recurring broadcasts, the batches of flow broadcasts, and the finish check
 * that moves a running broadcast to `completed` once nothing of it is pending or queued.
 */
export class BroadcastJobs {
  private readonly starter: BroadcastStarter;
  private readonly flowBatches: BroadcastFlowBatchProcessor;
  private worker: Worker<BroadcastJobData> | null = null;

  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      clock: Clock;
      logger: Logger;
      triggered: Pick<TriggeredRuns, 'startForContact' | 'afterCommit'>;
    },
  ) {
    this.starter = new BroadcastStarter(deps);
    this.flowBatches = new BroadcastFlowBatchProcessor(deps);
  }

  start(): void {
    this.worker = this.deps.queues.worker<BroadcastJobData>(BROADCASTS_QUEUE, (job, token) => this.process(job, token), {
      concurrency: BROADCAST_JOBS_IN_FLIGHT,
    });
    this.worker.on('failed', (job, err) => this.deps.logger.warn({ err, job: job?.name, data: job?.data }, 'broadcast job failed'));
  }

  async stop(): Promise<void> {
    await this.worker?.close();
  }

  async process(job: Job<BroadcastJobData>, token?: string): Promise<BroadcastJobOutcome> {
    const data = job.data;
    switch (data.kind) {
      case 'start': {
        const outcome = await this.starter.start(data.broadcastId);
        if (outcome.kind === 'waiting') return this.later(job, token, outcome.retryInMs);
        return outcome;
      }
      case 'occurrence':
        return this.occurrence(data.broadcastId, job.id ?? `${job.timestamp}`);
      case 'finish':
        return this.finish(job, token, data.broadcastId);
      case 'flow-batch': {
        const outcome = await this.flowBatches.process(data);
        if (outcome !== 'stale' && 'dueAt' in outcome)
          return this.later(job, token, outcome.dueAt.getTime() - this.deps.clock.now().getTime());
        return outcome;
      }
    }
  }

  private async later(job: Job<BroadcastJobData>, token: string | undefined, ms: number): Promise<never> {
    await job.moveToDelayed(this.deps.clock.now().getTime() + Math.max(0, ms), token);
    throw new DelayedError();
  }

  /** A recurring broadcast's scheduler fired: its occurrence is created and started. */
  private async occurrence(parentId: string, occurrenceKey: string): Promise<{ occurrenceId: string | null }> {
    const em = this.deps.orm.em.fork();
    const now = this.deps.clock.now();
    const { rows } = await runSql(em, INSERT_OCCURRENCE_SQL, { id: newId(), parentId, occurrenceKey, now }, { row: IdRow });
    const occurrenceId = rows[0]?.id ?? null;
    if (occurrenceId !== null) {
      await this.deps.queues
        .queue<BroadcastJobData>(BROADCASTS_QUEUE)
        .add('start', { kind: 'start', broadcastId: occurrenceId }, { ...BROADCAST_JOB_OPTIONS, jobId: startJobId(occurrenceId, 0) });
    }
    const scheduler = await this.deps.queues.queue(BROADCASTS_QUEUE).getJobScheduler(recurringSchedulerId(parentId));
    await runSql(
      em,
      `update broadcasts set next_run_at = cast(:next as timestamptz), updated_at = :now where id = :id and state = 'scheduled'`,
      { id: parentId, next: scheduler?.next ? new Date(scheduler.next) : null, now },
    );
    return { occurrenceId };
  }

  /** Completes a running broadcast once no recipient is pending and none of its messages waits in the outbox. */
  private async finish(job: Job<BroadcastJobData>, token: string | undefined, broadcastId: string): Promise<FinishOutcome> {
    const em = this.deps.orm.em.fork();
    const b = await loadBroadcast(em, broadcastId);
    if (b.state !== 'running') return 'not-running';
    if (await hasPendingRecipients(em, broadcastId)) return 'pending';
    if (await hasQueuedMessages(em, broadcastId)) {
      const age = this.deps.clock.now().getTime() - job.timestamp;
      return this.later(job, token, Math.min(FINISH_RECHECK_MAX_MS, Math.max(FINISH_RECHECK_MIN_MS, Math.round(age / 4))));
    }
    const now = this.deps.clock.now();
    await em.transactional(async (tem) => {
      const locked = await loadBroadcast(tem, broadcastId, { lock: 'update' });
      if (locked.state === 'running' && !(await hasPendingRecipients(tem, broadcastId)))
        await writeState(tem, broadcastId, { state: 'completed', finishedAt: now }, now);
    });
    this.deps.logger.info({ broadcastId }, 'broadcast completed');
    return 'completed';
  }
}
