import type { Job, Worker } from 'bullmq';
import type { Clock } from '../../engine/clock.ts';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { RetentionSweepRunningError } from '../../engine/errors/retention-sweep-running.error.ts';
import type { Config } from '../../platform/config.ts';
import type { Orm } from '../../platform/db/orm.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { IdRow, runSql } from '../../platform/pipeline/run-sql.ts';
import type { QueueFactory } from '../../platform/queues/queue-factory.ts';
import { ContactErasure } from './contact-erasure.ts';
import { ContactExportBuilder, expireExports, insertExport, type ExportRow } from './contact-export.ts';
import { privacyFilesOf, removePendingFiles, type PrivacyFiles } from './privacy-files.ts';
import { loadSettings } from './retention-settings.sql.ts';
import { findActiveSweep, insertSweep, type SweepRow, type SweepTrigger } from './retention-sweep.store.ts';
import { RetentionSweepRunner, type SweepOptions } from './retention-sweep.ts';
import { deleteDueWorkspaces } from './workspace-deletion.ts';

/**
 * The `retention` queue (worker role). Jobs carry ids; the rows are the state.
 * - `scheduled` (a job scheduler per workspace, id `retention-sweep-<workspace>`, cron + the
 *   workspace's time zone): creates a sweep and runs it; skipped when one is already active.
 * - `sweep`: runs (or resumes) a sweep by id (job id `sweep-<id>`: one job per sweep).
 * - `export`: builds a contact's export archive.
 * - `housekeeping` (scheduler `retention-housekeeping`, hourly): removes expired exports,
 *   deletes workspaces past their grace period, usage data of no workspace older than 30 days,
 *   files left by a crash, and resumes sweeps whose runner died without a job to retry them.
 */
export const RETENTION_QUEUE = 'retention';
export const HOUSEKEEPING_SCHEDULER_ID = 'retention-housekeeping';
const HOUSEKEEPING_CRON = '17 * * * *';
/** Usage data that belongs to no workspace (failed logins, signups) is kept as long as the default period. */
const ORPHAN_USAGE_KEEP_MS = 30 * 86_400_000;

export type RetentionJobData =
  | { kind: 'scheduled'; workspaceId: string }
  | { kind: 'sweep'; sweepId: string }
  | { kind: 'export'; exportId: string }
  | { kind: 'housekeeping' };

const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function sweepSchedulerId(workspaceId: string): string {
  return `retention-sweep-${workspaceId}`;
}

export interface PrivacyDeps {
  orm: Orm;
  queues: QueueFactory;
  config: Config;
  clock: Clock;
  logger: Logger;
  sweepOptions?: Partial<SweepOptions>;
}

/** Requests and schedules of the privacy features, shared by the API, the CLI and the worker. */
export class PrivacyService {
  readonly files: PrivacyFiles;
  readonly erasure: ContactErasure;

  constructor(private readonly deps: PrivacyDeps) {
    this.files = privacyFilesOf(deps.config);
    this.erasure = new ContactErasure({
      orm: deps.orm,
      queues: deps.queues,
      files: this.files,
      secretKey: deps.config.secretKey,
      clock: deps.clock,
      logger: deps.logger,
    });
  }

  private get queue() {
    return this.deps.queues.queue<RetentionJobData>(RETENTION_QUEUE);
  }

  runner(): RetentionSweepRunner {
    return new RetentionSweepRunner({
      orm: this.deps.orm,
      clock: this.deps.clock,
      logger: this.deps.logger,
      files: this.files,
      secretKey: this.deps.config.secretKey,
      options: this.deps.sweepOptions,
    });
  }

  /** Creates a sweep (RetentionSweepRunningError while one is active); `enqueue`: a worker runs it (the CLI runs it itself). */
  async createSweep(
    workspaceId: string,
    p: { dryRun: boolean; trigger: SweepTrigger; requestedBy: string | null; enqueue: boolean },
  ): Promise<SweepRow> {
    const em = this.deps.orm.em.fork();
    const settings = await loadSettings(em, workspaceId);
    if (!settings) throw new NotFoundError('workspace', workspaceId);
    const sweep = await insertSweep(em, {
      id: newId(),
      workspaceId,
      dryRun: p.dryRun,
      trigger: p.trigger,
      requestedBy: p.requestedBy,
      policy: settings.policy,
      now: this.deps.clock.now(),
    });
    if (!sweep) {
      const active = await findActiveSweep(em, workspaceId);
      throw new RetentionSweepRunningError(active?.id ?? 'unknown');
    }
    if (p.enqueue) await this.enqueueSweep(sweep.id);
    return sweep;
  }

  async enqueueSweep(sweepId: string): Promise<void> {
    await this.queue.add('sweep', { kind: 'sweep', sweepId }, { ...JOB_OPTIONS, jobId: `sweep-${sweepId}` });
  }

  async requestExport(p: { workspaceId: string; contactId: string; requestedBy: string | null }): Promise<ExportRow> {
    const row = await insertExport(this.deps.orm.em.fork(), { ...p, now: this.deps.clock.now() });
    await this.queue.add('export', { kind: 'export', exportId: row.id }, { ...JOB_OPTIONS, jobId: `export-${row.id}` });
    return row;
  }

  /** Creates or updates the workspace's sweep scheduler (its cron in its time zone); no-op when unchanged. */
  async syncSchedule(workspaceId: string): Promise<void> {
    const settings = await loadSettings(this.deps.orm.em.fork(), workspaceId);
    const id = sweepSchedulerId(workspaceId);
    if (!settings) {
      await this.queue.removeJobScheduler(id);
      return;
    }
    const current = await this.queue.getJobScheduler(id);
    if (current && current.pattern === settings.scheduleCron && current.tz === settings.timezone) return;
    await this.queue.upsertJobScheduler(
      id,
      { pattern: settings.scheduleCron, tz: settings.timezone },
      { name: 'scheduled', data: { kind: 'scheduled', workspaceId }, opts: JOB_OPTIONS },
    );
  }

  /** Every workspace gets its scheduler (new workspaces, changed time zones), and the hourly housekeeping. */
  async syncAllSchedules(): Promise<number> {
    const ids = (
      await runSql(this.deps.orm.em.fork(), `select id from workspaces where deletion_due_at is null order by id`, {}, { row: IdRow })
    ).rows.map((r) => r.id);
    for (const id of ids) await this.syncSchedule(id);
    await this.queue.upsertJobScheduler(
      HOUSEKEEPING_SCHEDULER_ID,
      { pattern: HOUSEKEEPING_CRON },
      { name: 'housekeeping', data: { kind: 'housekeeping' }, opts: JOB_OPTIONS },
    );
    return ids.length;
  }

  async housekeeping(): Promise<void> {
    const em = this.deps.orm.em.fork();
    const now = this.deps.clock.now();
    await expireExports(em, now);
    for (const id of await deleteDueWorkspaces(
      { orm: this.deps.orm, files: this.files, config: this.deps.config, logger: this.deps.logger },
      now,
    ))
      await this.queue.removeJobScheduler(sweepSchedulerId(id));
    await runSql(em, `delete from usage_events where workspace_id is null and created_at < :before`, {
      before: new Date(now.getTime() - ORPHAN_USAGE_KEEP_MS),
    });
    await removePendingFiles(em, this.files);
    // A sweep whose runner died with no job behind it (the CLI was killed): a worker resumes it.
    const orphans = (
      await runSql(
        em,
        `select id from retention_sweeps where status in ('queued', 'running') and (lease_until is null or lease_until < clock_timestamp())`,
        {},
        { row: IdRow },
      )
    ).rows;
    for (const o of orphans) {
      const state = await this.queue.getJobState(`sweep-${o.id}`);
      if (state === 'unknown' || state === 'completed' || state === 'failed') {
        await this.queue.remove(`sweep-${o.id}`);
        await this.enqueueSweep(o.id);
      }
    }
  }
}

/** The worker role's part: runs the retention queue's jobs and keeps the schedulers in step. */
export class RetentionJobs {
  private worker: Worker<RetentionJobData> | null = null;
  private readonly exports: ContactExportBuilder;

  constructor(private readonly deps: PrivacyDeps & { service: PrivacyService }) {
    this.exports = new ContactExportBuilder({ orm: deps.orm, files: deps.service.files, clock: deps.clock, logger: deps.logger });
  }

  start(): void {
    // Sweeps are heavy: one at a time per process (and per workspace, by the sweep's lease).
    this.worker = this.deps.queues.worker<RetentionJobData>(RETENTION_QUEUE, (job) => this.process(job), { concurrency: 1 });
    this.worker.on('failed', (job, err) => this.deps.logger.warn({ err, job: job?.name, data: job?.data }, 'retention job failed'));
    void this.deps.service
      .syncAllSchedules()
      .catch((err: unknown) => this.deps.logger.error({ err }, 'retention schedules could not be synchronised'));
  }

  async stop(): Promise<void> {
    await this.worker?.close();
  }

  async process(job: Job<RetentionJobData>): Promise<unknown> {
    const data = job.data;
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    switch (data.kind) {
      case 'scheduled': {
        try {
          const sweep = await this.deps.service.createSweep(data.workspaceId, {
            dryRun: false,
            trigger: 'schedule',
            requestedBy: null,
            enqueue: false,
          });
          return await this.deps.service.runner().run(sweep.id, { final });
        } catch (err) {
          if (err instanceof RetentionSweepRunningError) return 'already_running';
          throw err;
        }
      }
      case 'sweep':
        return this.deps.service.runner().run(data.sweepId, { final });
      case 'export':
        return this.exports.build(data.exportId);
      case 'housekeeping':
        await this.deps.service.housekeeping();
        return 'done';
    }
  }
}
