import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { CsvError, parse } from 'csv-parse';
import type { Clock } from '../../engine/clock.ts';
import {
  ImportColumnsError,
  MAX_IMPORT_ROWS,
  planColumns,
  readImportRow,
  type ColumnPlan,
  type ImportedContact,
} from '../../engine/contacts/contact-import.ts';
import { audit } from '../audit/audit-log.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import {
  addProgress,
  finishImport,
  insertProblems,
  loadImport,
  markRunning,
  startLanes,
  type ImportCounts,
  type ImportProblem,
  type ImportRow,
} from './contact-import.store.ts';
import { importFilePath, type ImportFiles } from './contact-import-files.ts';
import { countWouldUpsert, upsertContacts } from './contact-upsert.sql.ts';
import { runSql } from '../pipeline/run-sql.ts';

/**
 * Data rows written per transaction. One statement per batch; 5,000 rows keep a statement
 * near 50-100 ms on a quiet machine, short enough that an inbound message updating one of these
 * contacts does not wait long for its row lock, and few enough round trips for 1M rows.
 */
export const IMPORT_BATCH_ROWS = 5_000;

/** The file cannot be read as CSV (an unclosed quote, a binary file): retrying cannot help. */
export class ImportFileUnreadableError extends Error {
  override name = 'ImportFileUnreadableError';
}

export interface ImportRunnerDeps {
  orm: Orm;
  files: ImportFiles;
  clock: Clock;
  logger: Logger;
}

/**
 * Connections an import writes through at once. One backend writing batch after batch uses one
 * core at most, and PostgreSQL's share of a row (the trigram index above all) is the larger one:
 * with two lanes it runs on both cores while this process reads the next batch.
 */
export const IMPORT_LANES = 2;

/** A lane's rows of one batch: written in one transaction with their counters. */
interface LaneBatch {
  rowsDone: number;
  contacts: ImportedContact[];
  problems: ImportProblem[];
}

/** IMPORT_BATCH_ROWS data rows of the file, split into lanes; `through` is the last one's number. */
interface Batch {
  through: number;
  lanes: LaneBatch[];
}

function emptyBatch(lanes: number): Batch {
  return { through: 0, lanes: Array.from({ length: lanes }, () => ({ rowsDone: 0, contacts: [], problems: [] })) };
}

/**
 * The lane of a phone: every row with one phone goes to one lane, so that lanes never touch one
 * contact and a phone's rows are written in the order of the file. Rows without a contact (empty
 * or refused) go to lane 0.
 */
export function laneOf(phone: string, lanes: number): number {
  let hash = 0;
  for (let i = 0; i < phone.length; i++) hash = (hash * 31 + phone.charCodeAt(i)) | 0;
  return (hash >>> 0) % lanes;
}

/**
 * What running an import did (its job's return value): `done` once the import is finished,
 * failed included; `not_runnable` when it is neither queued nor running (over, or gone).
 */
export type ImportRunOutcome = 'done' | 'not_runnable';

/**
 * Runs one import (or its dry run) from its stored file: streams the file through csv-parse,
 * turns each row into a contact or a problem, and writes batches of IMPORT_BATCH_ROWS, split by phone into IMPORT_LANES lanes written at once,
 * each lane's share in one transaction with its counters and its place in the file. Memory holds
 * at most two batches, whatever the size of the file. After a crash each lane of the retried job
 * skips the rows up to its place (`lanes_done`).
 */
export class ContactImportRunner {
  constructor(private readonly deps: ImportRunnerDeps) {}

  /** Runs the import, unless it is in no state to run (neither queued nor running: `not_runnable`). */
  async run(importId: string): Promise<ImportRunOutcome> {
    const em = this.deps.orm.em.fork();
    if (!(await markRunning(em, importId, this.deps.clock.now()))) return 'not_runnable';
    const row = (await loadImport(em, importId))!;
    if (!row.fileKey) {
      await finishImport(em, importId, {
        status: 'failed',
        error: 'the uploaded file is no longer available: upload it again',
        now: this.deps.clock.now(),
        keepFile: false,
      });
      return 'done';
    }
    const path = importFilePath(this.deps.files, row.fileKey);
    try {
      const { records, truncated } = await this.readAndWrite(row, path);
      const note = truncated
        ? `only the first ${MAX_IMPORT_ROWS.toLocaleString('en-US')} rows were read: import the rest as another file`
        : undefined;
      await this.finish(row, { status: row.dryRun ? 'checked' : 'completed', rowsTotal: records, error: note });
    } catch (err) {
      if (err instanceof ImportFileUnreadableError || err instanceof ImportColumnsError) {
        await this.finish(row, { status: 'failed', error: err.message });
        return 'done';
      }
      throw err;
    }
    return 'done';
  }

  /** Marks a run that failed for good (its job's last attempt). */
  async fail(importId: string, message: string): Promise<void> {
    const em = this.deps.orm.em.fork();
    const row = await loadImport(em, importId);
    if (!row || row.status === 'completed' || row.status === 'checked' || row.status === 'failed') return;
    await this.finish(row, { status: 'failed', error: message });
  }

  private async finish(
    row: ImportRow,
    p: { status: 'checked' | 'completed' | 'failed'; rowsTotal?: number; error?: string },
  ): Promise<void> {
    // A dry run keeps its file: starting the import reads it again.
    const keepFile = p.status === 'checked';
    const em = this.deps.orm.em.fork();
    await em.transactional(async (tx) => {
      await finishImport(tx, row.id, { ...p, now: this.deps.clock.now(), keepFile });
      if (!row.dryRun) {
        const done = (await loadImport(tx, row.id))!;
        audit(tx, {
          workspaceId: row.workspaceId,
          // The request was audited with its caller; this records what the import did.
          actor: { kind: 'system', id: null },
          action: 'contacts.imported',
          target: { kind: 'contact_import', id: row.id },
          details: { status: p.status, created: done.created, updated: done.updated, skipped: done.skipped, failed: done.failed },
        });
      }
    });
    if (!keepFile && row.fileKey) await rm(importFilePath(this.deps.files, row.fileKey), { force: true });
  }

  private async readAndWrite(row: ImportRow, path: string): Promise<{ records: number; truncated: boolean }> {
    // A dry run counts a phone seen earlier in the file (`seen`) in file order: one lane.
    const lanesDone = await startLanes(this.deps.orm.em.fork(), row.id, row.dryRun ? 1 : IMPORT_LANES);
    const lanes = lanesDone.length;
    const resumeAll = Math.min(...lanesDone);
    const parser = createReadStream(path).pipe(
      parse({
        delimiter: row.options.delimiter,
        bom: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: false,
        max_record_size: 1_000_000,
      }),
    );
    let plan: ColumnPlan | null = null;
    let records = 0;
    let truncated = false;
    const seen = new Set<string>();
    let batch = emptyBatch(lanes);
    let rowsRead = 0;
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      const full = batch;
      full.through = records;
      batch = emptyBatch(lanes);
      rowsRead = 0;
      // One batch is written while the next is read: at most one write per lane in flight, in order.
      await writing;
      writing = this.writeBatch(row, full, seen);
    };
    try {
      for await (const cells of parser as AsyncIterable<string[]>) {
        if (plan === null) {
          plan = planColumns(cells, row.options);
          continue;
        }
        if (records >= MAX_IMPORT_ROWS) {
          truncated = true;
          break;
        }
        records += 1;
        if (records <= resumeAll) continue;
        rowsRead += 1;
        const result = cells.every((c) => c.trim() === '') ? null : readImportRow(cells, plan);
        const lane = result?.ok ? laneOf(result.contact.phone, lanes) : 0;
        // A lane of a retried run skips what it committed before the crash.
        if (records > lanesDone[lane]!) {
          const part = batch.lanes[lane]!;
          part.rowsDone += 1;
          // Row numbers as a spreadsheet shows them: the header is row 1.
          if (result?.ok) part.contacts.push(result.contact);
          else if (result) part.problems.push({ row: records + 1, problem: result.problem, values: cells.slice(0, 200) });
        }
        if (rowsRead >= IMPORT_BATCH_ROWS) await flush();
      }
      if (plan === null) throw new ImportFileUnreadableError('the file is empty: it needs a header row and at least one contact');
      if (rowsRead > 0) await flush();
      await writing;
    } catch (err) {
      parser.destroy();
      await writing.catch(() => undefined);
      if (err instanceof CsvError)
        throw new ImportFileUnreadableError(
          `the file could not be read as CSV near line ${(err as CsvError & { lines?: number }).lines ?? '?'}: ${err.message}`,
          { cause: err },
        );
      throw err;
    }
    return { records, truncated };
  }

  /** Writes each lane's share of a batch in a transaction of its own, the lanes at once. */
  private async writeBatch(row: ImportRow, batch: Batch, seen: Set<string>): Promise<void> {
    const writes = batch.lanes.map((part, index) =>
      part.rowsDone === 0 ? Promise.resolve() : this.writeLane(row, part, { index, through: batch.through }, seen),
    );
    // Every lane ends before the batch counts as written (or failed): a retry never overlaps a lane still writing.
    const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async writeLane(row: ImportRow, part: LaneBatch, lane: { index: number; through: number }, seen: Set<string>): Promise<void> {
    const mode = row.options.onExisting;
    await this.deps.orm.em.fork().transactional(async (tx) => {
      // The batch does not wait for its WAL to reach the disk: a crash may lose the last batches,
      // but their counters with them (one transaction), so the retried job writes them again;
      // finishing the import is a normal commit, which flushes every batch before it.
      await runSql(tx, `set local synchronous_commit = off`);
      const counts = row.dryRun
        ? await countWouldUpsert(tx, { workspaceId: row.workspaceId, rows: part.contacts, mode, seen })
        : await upsertContacts(tx, { workspaceId: row.workspaceId, rows: part.contacts, mode, now: this.deps.clock.now() });
      await insertProblems(tx, row.id, part.problems);
      const delta: ImportCounts = { rowsDone: part.rowsDone, failed: part.problems.length, ...counts };
      await addProgress(tx, row.id, delta, lane);
    });
  }
}
