import type { Clock } from '../../engine/clock.ts';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { audit, type AuditInput } from '../../platform/audit/audit-log.ts';
import type { Orm } from '../../platform/db/orm.ts';
import { INBOX_QUEUE, TIMER_QUEUE, timerJobId } from '../../platform/automation/engine-queues.ts';
import type { Logger } from '../../platform/logger.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { forgetSandboxReceipts } from '../../platform/pipeline/sandbox-receipts.ts';
import { sendQueueName } from '../../platform/pipeline/send-job.ts';
import { sandboxProviderMessageId } from '../sandbox/sandbox.connector.ts';
import type { QueueFactory } from '../../platform/queues/queue-factory.ts';
import { eraseContactInTx, type ErasureResult } from './contact-erasure.sql.ts';
import { assertNoHoldOnContact } from './legal-holds.sql.ts';
import { removePendingFiles, type PrivacyFiles } from './privacy-files.ts';

/** Job removals sent to Redis at once. */
const JOB_REMOVALS_IN_FLIGHT = 50;

export interface ErasureDeps {
  orm: Orm;
  queues: QueueFactory;
  files: PrivacyFiles;
  secretKey: Buffer;
  clock: Clock;
  logger: Logger;
}

/**
 * The right to erasure: one contact and everything that names it (see `eraseContactInTx`), in
 * one transaction with its audit entry (a salted hash of the phone and counts, never the data);
 * refused with LegalHoldError while a hold covers the contact. After commit, its files leave the
 * disk and the jobs that named its messages and runs leave Redis.
 */
export class ContactErasure {
  constructor(private readonly deps: ErasureDeps) {}

  async erase(workspaceId: string, contactId: string, actor: AuditInput['actor'], ip: string | null): Promise<ErasureResult> {
    const em = this.deps.orm.em.fork();
    const result = await em.transactional(async (tx) => {
      // The hold check runs after the contact's row lock: a hold placed meanwhile (which locks it too) is seen.
      const locked = await runSql(tx, `select 1 from contacts where id = :contactId and workspace_id = :workspaceId for update`, {
        contactId,
        workspaceId,
      });
      if (locked.rowCount === 0) throw new NotFoundError('contact', contactId);
      await assertNoHoldOnContact(tx, workspaceId, contactId);
      const erased = await eraseContactInTx(tx, { workspaceId, contactId, secretKey: this.deps.secretKey, now: this.deps.clock.now() });
      if (!erased) throw new NotFoundError('contact', contactId);
      audit(tx, { workspaceId, actor, action: 'contact.erased', details: { phoneHash: erased.phoneHash, counts: erased.counts }, ip });
      return erased;
    });
    await this.afterCommit(result);
    return result;
  }

  /** Removes the files and jobs an erasure left behind; a failure here is finished by the next sweep. */
  async afterCommit(result: ErasureResult): Promise<void> {
    try {
      await removePendingFiles(this.deps.orm.em.fork(), this.deps.files);
      await removeJobs(this.deps.queues, result.jobs);
    } catch (err) {
      this.deps.logger.warn({ err }, 'erasure: files or jobs left for the next sweep');
    }
  }
}

/** Removes the drain, send, timer and sandbox receipt jobs of erased messages and runs (their data is ids, but ids of a person). */
async function removeJobs(queues: QueueFactory, jobs: ErasureResult['jobs']): Promise<void> {
  const removals: (() => Promise<unknown>)[] = [];
  for (const id of jobs.messageIds) {
    removals.push(() => queues.queue(INBOX_QUEUE).remove(id));
    for (const channelId of jobs.channelIds) removals.push(() => queues.queue(sendQueueName(channelId)).remove(id));
  }
  for (const t of jobs.timers) removals.push(() => queues.queue(TIMER_QUEUE).remove(timerJobId(t.runId, t.waitSeq)));
  removals.push(() => forgetSandboxReceipts(queues, jobs.messageIds.map(sandboxProviderMessageId)));
  for (let i = 0; i < removals.length; i += JOB_REMOVALS_IN_FLIGHT) {
    // An active job cannot be removed; it finds its rows gone and ends.
    await Promise.all(removals.slice(i, i + JOB_REMOVALS_IN_FLIGHT).map((remove) => remove().catch(() => 0)));
  }
}
