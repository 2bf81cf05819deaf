import { randomUUID } from 'node:crypto';
import type { Clock } from '../../engine/clock.ts';
import type { RetentionKind } from '../../engine/retention/retention-policy.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import type { Orm } from '../../platform/db/orm.ts';
import type { Logger } from '../../platform/logger.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { eraseContactInTx } from './contact-erasure.sql.ts';
import { DEFAULT_PRESSURE, InboundPressure, type PressureOptions } from './inbound-pressure.ts';
import { activeHolds } from './legal-holds.sql.ts';
import { setUpBatch, walCompressionFor, type WalCompression } from './sweep-session.sql.ts';
import { removePendingFiles, type PrivacyFiles } from './privacy-files.ts';
import {
  claimSweep,
  finishSweep,
  releaseSweep,
  SWEEP_ORDER,
  writeProgress,
  type KindProgress,
  type SweepRow,
} from './retention-sweep.store.ts';
import {
  countKind,
  inactiveContactIds,
  isRetryableBatchError,
  KIND_SQL,
  type BatchResult,
  type KindCount,
  type KindScope,
} from './sweep-kinds.sql.ts';

/** Rows deleted per batch (one transaction): short enough to hold few locks for a few ms. */
export const SWEEP_BATCH_ROWS = 5_000;
/** Contacts erased per batch of the inactive-contacts kind (each erasure touches many tables). */
const INACTIVE_CONTACTS_PER_BATCH = 50;
/**
 * Batches that queued files between two removals of files. A batch commits without waiting for
 * its WAL to reach the disk (`synchronous_commit = off`); the batch after which files are removed
 * (every this many, and a kind's last) commits normally, which makes every earlier batch durable
 * too (the WAL is flushed in order): a file never leaves the disk while its row could come back.
 */
const FILE_REMOVAL_EVERY_BATCHES = 10;
/** Tries of one batch that keeps losing deadlocks before the sweep fails (and is retried by its job). */
const BATCH_ATTEMPTS = 5;
/** A sweep's lease: a runner that died (kill -9) is replaced this long after its last batch. */
export const SWEEP_LEASE_MS = 15_000;

export interface SweepOptions {
  batchRows: number;
  leaseMs: number;
  pressure: PressureOptions;
}

export const DEFAULT_SWEEP_OPTIONS: SweepOptions = { batchRows: SWEEP_BATCH_ROWS, leaseMs: SWEEP_LEASE_MS, pressure: DEFAULT_PRESSURE };

/** The lease moved to another runner (this one was too slow or presumed dead): stop at once. */
export class SweepLeaseLostError extends Error {
  override name = 'SweepLeaseLostError';
  constructor(readonly sweepId: string) {
    super(`retention sweep ${sweepId} is being run by another process`);
  }
}

export type SweepOutcome = 'completed' | 'busy';

/**
 * Runs one retention sweep to its end (see connectors/retention/README.md): kind by kind in
 * SWEEP_ORDER, batch by batch, each batch one transaction that deletes rows, queues their files
 * and writes the kind's progress under the sweep's lease. A sweep killed at any point is resumed
 * by the next runner from its progress: the cutoffs were fixed at creation and the counts of
 * every committed batch are in the row.
 */
export class RetentionSweepRunner {
  private readonly owner = `${process.pid}:${randomUUID()}`;

  constructor(
    private readonly deps: {
      orm: Orm;
      clock: Clock;
      logger: Logger;
      files: PrivacyFiles;
      secretKey: Buffer;
      options?: Partial<SweepOptions>;
    },
  ) {}

  private get options(): SweepOptions {
    return { ...DEFAULT_SWEEP_OPTIONS, ...this.deps.options };
  }

  /** Runs the sweep; `busy` when another live runner holds it or it has already ended. `final`: no retry follows a failure. */
  async run(sweepId: string, opts: { final?: boolean } = { final: true }): Promise<SweepOutcome> {
    const o = this.options;
    const em = this.deps.orm.em.fork();
    const sweep = await claimSweep(em, sweepId, this.owner, o.leaseMs);
    if (!sweep) return 'busy';
    const log = this.deps.logger.child({ sweepId, workspaceId: sweep.workspaceId });
    const started = performance.now();
    try {
      // Files queued by an earlier runner that died between its commit and the unlink.
      await removePendingFiles(em, this.deps.files);
      await this.measure(sweep);
      const measureMs = Math.round(performance.now() - started);
      let pausedMs = 0;
      if (!sweep.dryRun) {
        const pressure = new InboundPressure({ orm: this.deps.orm, workspaceId: sweep.workspaceId, options: o.pressure });
        await pressure.measureBaseline();
        const walCompression = await walCompressionFor(em);
        for (const kind of SWEEP_ORDER) await this.sweepKind(sweep, kind, pressure, walCompression);
        pausedMs = Math.round(pressure.pausedMs);
      }
      await this.deps.orm.em.fork().transactional(async (tx) => {
        if (!(await finishSweep(tx, sweep.id, this.owner, { status: 'completed' }))) throw new SweepLeaseLostError(sweep.id);
        audit(tx, {
          workspaceId: sweep.workspaceId,
          actor: sweep.requestedBy ? { kind: 'user', id: sweep.requestedBy } : { kind: 'system', id: null },
          action: sweep.dryRun ? 'retention.dry_run' : 'retention.swept',
          target: { kind: 'retention_sweep', id: sweep.id },
          // Counts, sizes and durations only: no row of the data it deleted.
          // measureMs: counting what to delete; pausedMs: resting and waiting for the inbound path (README, invariant 6).
          details: {
            trigger: sweep.trigger,
            requestedBy: sweep.requestedBy,
            durationMs: Math.round(performance.now() - started),
            measureMs,
            pausedMs,
            kinds: countsOf(sweep),
          },
        });
      });
      log.info({ kinds: countsOf(sweep) }, 'retention sweep completed');
      return 'completed';
    } catch (err) {
      if (err instanceof SweepLeaseLostError) return 'busy';
      if (opts.final) {
        await finishSweep(this.deps.orm.em.fork(), sweep.id, this.owner, {
          status: 'failed',
          error: err instanceof Error ? err.message : String(err),
        });
      } else {
        await releaseSweep(this.deps.orm.em.fork(), sweep.id, this.owner);
      }
      throw err;
    }
  }

  /** What each kind has to delete, measured once per sweep (a resumed sweep keeps the first figures). */
  private async measure(sweep: SweepRow): Promise<void> {
    const holds = await activeHolds(this.deps.orm.em.fork(), sweep.workspaceId);
    for (const kind of SWEEP_ORDER) {
      const p = sweep.progress[kind]!;
      const cutoff = sweep.cutoffs[kind];
      if (p.status !== 'pending' || !cutoff) continue;
      if (holds.workspace) {
        await this.write(sweep, kind, { ...p, status: 'skipped' });
        continue;
      }
      const scope = scopeOf(sweep, cutoff, holds);
      const count = await countKind(this.deps.orm.em.fork(), kind, scope);
      await this.write(sweep, kind, { ...p, total: count.rows, totalBytes: count.bytes, status: sweep.dryRun ? 'done' : 'pending' });
    }
  }

  private async sweepKind(sweep: SweepRow, kind: RetentionKind, pressure: InboundPressure, walCompression: WalCompression): Promise<void> {
    const cutoff = sweep.cutoffs[kind];
    let progress = sweep.progress[kind]!;
    if (!cutoff || progress.status === 'done' || progress.status === 'kept' || progress.status === 'skipped') return;
    const batchRows = this.options.batchRows;
    // Batches committed since files were last removed, and whether any of them queued files.
    let batchesSinceRemoval = 0;
    let filesQueued = false;
    for (;;) {
      const holds = await activeHolds(this.deps.orm.em.fork(), sweep.workspaceId);
      if (holds.workspace) {
        // A durable commit: the files of the batches before it may go.
        await this.write(sweep, kind, { ...progress, status: 'skipped' });
        if (filesQueued) await removePendingFiles(this.deps.orm.em.fork(), this.deps.files);
        return;
      }
      const scope = scopeOf(sweep, cutoff, holds);
      const began = performance.now();
      const limit = kind === 'inactive_contacts' ? INACTIVE_CONTACTS_PER_BATCH : batchRows;
      const next = await this.batchWithRetry(() =>
        this.deps.orm.em.fork().transactional(async (tx) => {
          // A batch lost in a crash is deleted again by the resumed sweep (its cursor and counts are
          // lost with it): its commit need not wait for the disk, nor make live commits wait behind it.
          await setUpBatch(tx, walCompression);
          const result: BatchResult =
            kind === 'inactive_contacts'
              ? { ...(await this.eraseInactive(tx, scope, limit)), cursor: {} }
              : await KIND_SQL[kind].deleteBatch(tx, scope, limit, progress.cursor ?? {});
          const count: KindCount = result;
          const updated: KindProgress = {
            ...progress,
            ...(Object.keys(result.cursor).length > 0 ? { cursor: result.cursor } : {}),
            // Done at the first empty batch: a short batch may only mean rows were skipped as locked.
            status: count.rows === 0 ? 'done' : 'running',
            deleted: progress.deleted + count.rows,
            bytes: progress.bytes + count.bytes,
            files: progress.files + count.files,
          };
          if (!(await writeProgress(tx, sweep.id, this.owner, this.options.leaseMs, kind, updated)))
            throw new SweepLeaseLostError(sweep.id);
          // Files are removed after this batch: it commits durably, and with it every batch before it.
          const removeFiles =
            (filesQueued || count.files > 0) && (updated.status === 'done' || batchesSinceRemoval + 1 >= FILE_REMOVAL_EVERY_BATCHES);
          if (removeFiles) await runSql(tx, `set local synchronous_commit = on`);
          return { updated, count, removeFiles };
        }),
      );
      progress = next.updated;
      sweep.progress[kind] = progress;
      filesQueued ||= next.count.files > 0;
      batchesSinceRemoval += 1;
      if (next.removeFiles) {
        await removePendingFiles(this.deps.orm.em.fork(), this.deps.files);
        filesQueued = false;
        batchesSinceRemoval = 0;
      }
      if (progress.status === 'done') return;
      await pressure.afterBatch(performance.now() - began);
    }
  }

  /** Runs a batch again when it lost a deadlock (with a concurrent erasure): it rolled back whole. */
  private async batchWithRetry<T>(batch: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await batch();
      } catch (err) {
        if (attempt >= BATCH_ATTEMPTS || !isRetryableBatchError(err)) throw err;
        this.deps.logger.info({ err, attempt }, 'retention sweep batch retried after a deadlock');
      }
    }
  }

  private async eraseInactive(tx: Parameters<typeof eraseContactInTx>[0], scope: KindScope, limit: number): Promise<KindCount> {
    const ids = await inactiveContactIds(tx, scope, limit);
    const count: KindCount = { rows: 0, bytes: 0, files: 0 };
    for (const contactId of ids) {
      const erased = await eraseContactInTx(tx, {
        workspaceId: scope.workspaceId,
        contactId,
        secretKey: this.deps.secretKey,
        now: this.deps.clock.now(),
      });
      if (!erased) continue;
      count.rows += 1;
      count.files += erased.counts.files;
    }
    return count;
  }

  private async write(sweep: SweepRow, kind: RetentionKind, progress: KindProgress): Promise<void> {
    if (!(await writeProgress(this.deps.orm.em.fork(), sweep.id, this.owner, this.options.leaseMs, kind, progress)))
      throw new SweepLeaseLostError(sweep.id);
    sweep.progress[kind] = progress;
  }
}

/** A kind's scope in a sweep; the media kind leaves the messages the message kind deletes to it. */
function scopeOf(sweep: SweepRow, cutoff: string, holds: KindScope['holds']): KindScope {
  const messageCutoff = sweep.cutoffs.message_content;
  return { workspaceId: sweep.workspaceId, cutoff: new Date(cutoff), holds, messageCutoff: messageCutoff ? new Date(messageCutoff) : null };
}

function countsOf(sweep: SweepRow): Record<string, { status: string; rows: number; bytes: number; files: number }> {
  const out: Record<string, { status: string; rows: number; bytes: number; files: number }> = {};
  for (const kind of SWEEP_ORDER) {
    const p = sweep.progress[kind]!;
    out[kind] = sweep.dryRun
      ? { status: p.status, rows: p.total, bytes: p.totalBytes, files: 0 }
      : { status: p.status, rows: p.deleted, bytes: p.bytes, files: p.files };
  }
  return out;
}
