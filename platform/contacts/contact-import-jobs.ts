import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import type { Clock } from '../../engine/clock.ts';
import type { Config } from '../config.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { importFilesOf } from './contact-import-files.ts';
import { ContactImportRunner, type ImportRunOutcome } from './contact-import.runner.ts';

/**
 * The `contact-imports` queue (worker role): one job per run of an import (job id
 * `import-<id>-<attempt of the import>`), carrying only the import's id; the row is the state.
 * A job that dies is retried and resumes after the rows already written.
 */
export const CONTACT_IMPORT_QUEUE = 'contact-imports';
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
};

export interface ContactImportJobData {
  importId: string;
}

export interface ContactImportDeps {
  orm: Orm;
  queues: QueueFactory;
  config: Pick<Config, 'dataDir'>;
  clock: Clock;
  logger: Logger;
}

/** Queues an import's run (its dry run, or the import itself). `run` tells the dry run and the start of one import apart. */
export async function enqueueContactImport(queues: QueueFactory, importId: string, run: 'check' | 'import'): Promise<void> {
  await queues
    .queue<ContactImportJobData>(CONTACT_IMPORT_QUEUE)
    .add('import', { importId }, { ...JOB_OPTIONS, jobId: `import-${importId}-${run}` });
}

/** The worker role's part: runs imports, one at a time per process (each keeps a connection busy). */
export class ContactImportJobs {
  private worker: Worker<ContactImportJobData> | null = null;
  readonly runner: ContactImportRunner;

  constructor(private readonly deps: ContactImportDeps) {
    this.runner = new ContactImportRunner({ orm: deps.orm, files: importFilesOf(deps.config), clock: deps.clock, logger: deps.logger });
  }

  start(): void {
    this.worker = this.deps.queues.worker<ContactImportJobData>(CONTACT_IMPORT_QUEUE, (job) => this.process(job), { concurrency: 1 });
    this.worker.on('failed', (job, err) => this.deps.logger.warn({ err, importId: job?.data.importId }, 'contact import job failed'));
  }

  async stop(): Promise<void> {
    await this.worker?.close();
  }

  async process(job: Job<ContactImportJobData>): Promise<ImportRunOutcome> {
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      return await this.runner.run(job.data.importId);
    } catch (err) {
      if (final || err instanceof UnrecoverableError)
        await this.runner.fail(
          job.data.importId,
          'the import stopped on an error; the rows counted so far were written. Try again, or contact your administrator if it keeps failing.',
        );
      throw err;
    }
  }
}
