import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { ImportOptions } from '../../engine/contacts/contact-import.ts';
import { runSql } from '../pipeline/run-sql.ts';

/*
 * The `contact_imports` table: one row per uploaded CSV. States:
 *   queued → running → checked (a dry run: nothing written) → queued (started for real) → …
 *   queued → running → completed | failed
 * The counters move in the transaction that writes their batch, so after a crash `rows_done`
 * says exactly how many data rows are behind us and the retried job resumes after them.
 */

export const IMPORT_STATUSES = ['queued', 'running', 'checked', 'completed', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

const ImportCountsRow = z.object({
  rowsDone: z.number(),
  created: z.number(),
  updated: z.number(),
  skipped: z.number(),
  failed: z.number(),
});
export type ImportCounts = z.infer<typeof ImportCountsRow>;

/**
 * The options as stored: those asked for (ImportOptionsSchema's fields and defaults, without its
 * input rules: they were checked when the import was asked for), with the file's delimiter and header.
 */
const StoredImportOptions = z.object({
  columns: z
    .object({
      phone: z.string(),
      name: z.string().nullable().default(null),
      tags: z.array(z.string()).default([]),
      attributes: z.array(z.object({ column: z.string(), attribute: z.string() })).default([]),
    })
    .optional(),
  defaultCountry: z.string().nullable().default(null),
  onExisting: z.enum(['update', 'skip']).default('skip'),
  dryRun: z.boolean().default(false),
  addTags: z.array(z.string()).default([]),
  delimiter: z.enum([',', ';', '\t']),
  header: z.array(z.string()),
}) satisfies z.ZodType<ImportOptions>;

const ImportRow = ImportCountsRow.extend({
  id: z.string(),
  workspaceId: z.string(),
  requestedBy: z.string().nullable(),
  fileName: z.string(),
  fileKey: z.string().nullable(),
  options: StoredImportOptions,
  dryRun: z.boolean(),
  status: z.enum(IMPORT_STATUSES),
  rowsTotal: z.number(),
  /** Each lane's place in the file (see `startLanes`); empty before the first run. */
  lanesDone: z.array(z.number()),
  error: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});
export type ImportRow = z.infer<typeof ImportRow>;

const ImportProblemRow = z.object({
  row: z.number(),
  problem: z.string(),
  values: z.array(z.string()),
});
export type ImportProblem = z.infer<typeof ImportProblemRow>;

const COLUMNS = `id, workspace_id as "workspaceId", requested_by as "requestedBy", file_name as "fileName", file_key as "fileKey", options,
  dry_run as "dryRun", status, rows_total as "rowsTotal", lanes_done as "lanesDone", rows_done as "rowsDone", created, updated, skipped, failed, error,
  created_at as "createdAt", started_at as "startedAt", finished_at as "finishedAt"`;

export async function insertImport(
  em: EntityManager,
  p: {
    id: string;
    workspaceId: string;
    requestedBy: string | null;
    fileName: string;
    fileKey: string;
    options: ImportRow['options'];
    rowsTotal: number;
    now: Date;
  },
): Promise<ImportRow> {
  const { rows } = await runSql(
    em,
    `insert into contact_imports (id, workspace_id, requested_by, file_name, file_key, options, dry_run, status, rows_total, created_at)
     values (:id, :workspaceId, :requestedBy, :fileName, :fileKey, cast(:options as jsonb), :dryRun, 'queued', :rowsTotal, :now)
     returning ${COLUMNS}`,
    { ...p, options: JSON.stringify(p.options), dryRun: p.options.dryRun },
    { row: ImportRow },
  );
  return rows[0]!;
}

export async function findImport(em: EntityManager, workspaceId: string, id: string): Promise<ImportRow | null> {
  const { rows } = await runSql(
    em,
    `select ${COLUMNS} from contact_imports where id = :id and workspace_id = :workspaceId`,
    { id, workspaceId },
    { row: ImportRow },
  );
  return rows[0] ?? null;
}

/** The import a job names, whatever its workspace (the job carries only the id). */
export async function loadImport(em: EntityManager, id: string): Promise<ImportRow | null> {
  const { rows } = await runSql(em, `select ${COLUMNS} from contact_imports where id = :id`, { id }, { row: ImportRow });
  return rows[0] ?? null;
}

export async function listImports(em: EntityManager, workspaceId: string, limit: number): Promise<ImportRow[]> {
  const { rows } = await runSql(
    em,
    `select ${COLUMNS} from contact_imports where workspace_id = :workspaceId order by created_at desc, id desc limit :limit`,
    { workspaceId, limit },
    { row: ImportRow },
  );
  return rows;
}

/** Marks the import running (from queued, or running again after a crash); false when it is in no state to run. */
export async function markRunning(em: EntityManager, id: string, now: Date): Promise<boolean> {
  const { rowCount } = await runSql(
    em,
    `update contact_imports set status = 'running', started_at = coalesce(started_at, :now) where id = :id and status in ('queued', 'running')`,
    { id, now },
  );
  return rowCount === 1;
}

/**
 * The lanes of a run, as each one's place in the file (the last data row up to which its rows are
 * written). The first run fixes their number: `lanes` places, each at `rows_done` (0, or where a
 * run from before lanes stopped); a retried run gets the places its lanes committed.
 */
const LanesDoneRow = ImportRow.pick({ lanesDone: true });

export async function startLanes(em: EntityManager, id: string, lanes: number): Promise<number[]> {
  const { rows } = await runSql(
    em,
    `update contact_imports set lanes_done = case when cardinality(lanes_done) = 0 then array_fill(rows_done, array[cast(:lanes as integer)]) else lanes_done end
     where id = :id returning lanes_done as "lanesDone"`,
    { id, lanes },
    { row: LanesDoneRow },
  );
  return rows[0]!.lanesDone;
}

/**
 * Adds a lane's share of a batch to the counters and moves the lane's place to the batch's last
 * data row; run in the transaction that writes the lane's rows of the batch.
 */
export async function addProgress(
  em: EntityManager,
  id: string,
  delta: ImportCounts,
  lane: { index: number; through: number },
): Promise<void> {
  await runSql(
    em,
    `update contact_imports set rows_done = rows_done + :rowsDone, created = created + :created, updated = updated + :updated,
       skipped = skipped + :skipped, failed = failed + :failed, lanes_done[cast(:lane as integer) + 1] = :through where id = :id`,
    { id, ...delta, lane: lane.index, through: lane.through },
  );
}

export async function insertProblems(em: EntityManager, importId: string, problems: ImportProblem[]): Promise<void> {
  if (problems.length === 0) return;
  // A retried batch writes its rows again: the row number is the key, the first write stays.
  await runSql(
    em,
    `insert into contact_import_problems (import_id, row_number, problem, "values")
     select :importId, p.row, p.problem, p."values" from jsonb_to_recordset(cast(:problems as jsonb)) as p(row integer, problem text, "values" text[])
     on conflict do nothing`,
    { importId, problems: JSON.stringify(problems) },
  );
}

export async function finishImport(
  em: EntityManager,
  id: string,
  p: { status: 'checked' | 'completed' | 'failed'; rowsTotal?: number; error?: string; now: Date; keepFile: boolean },
): Promise<void> {
  await runSql(
    em,
    `update contact_imports set status = :status, finished_at = :now, error = :error, rows_total = coalesce(cast(:rowsTotal as integer), rows_total),
       file_key = case when :keepFile then file_key end
     where id = :id`,
    { id, status: p.status, now: p.now, error: p.error ?? null, rowsTotal: p.rowsTotal ?? null, keepFile: p.keepFile },
  );
}

/**
 * A checked dry run becomes the import itself: the same file and options, counters and problems
 * reset. False when the import is not a checked dry run (already started, failed, or its file gone).
 */
export async function startCheckedImport(em: EntityManager, workspaceId: string, id: string): Promise<boolean> {
  // One transaction: the reset counters and the removal of the dry run's problems go together.
  return em.transactional((tx) => resetCheckedImport(tx, workspaceId, id));
}

async function resetCheckedImport(em: EntityManager, workspaceId: string, id: string): Promise<boolean> {
  const { rowCount } = await runSql(
    em,
    `update contact_imports set dry_run = false, status = 'queued', options = jsonb_set(options, '{dryRun}', 'false'),
       rows_done = 0, lanes_done = '{}', created = 0, updated = 0, skipped = 0, failed = 0, error = null, started_at = null, finished_at = null
     where id = :id and workspace_id = :workspaceId and status = 'checked' and file_key is not null`,
    { id, workspaceId },
  );
  if (rowCount === 1) await runSql(em, `delete from contact_import_problems where import_id = :id`, { id });
  return rowCount === 1;
}

/** The first problems of an import, by row, for the page. */
export async function firstProblems(em: EntityManager, importId: string, limit: number): Promise<ImportProblem[]> {
  const { rows } = await runSql(
    em,
    `select row_number as row, problem, "values" from contact_import_problems where import_id = :importId order by row_number limit :limit`,
    { importId, limit },
    { row: ImportProblemRow },
  );
  return rows;
}

/** Every problem of an import, by row, in pages (the error report streams them). */
export async function* eachProblem(em: EntityManager, importId: string, pageRows = 2_000): AsyncGenerator<ImportProblem> {
  let after = 0;
  for (;;) {
    const { rows } = await runSql(
      em,
      `select row_number as row, problem, "values" from contact_import_problems where import_id = :importId and row_number > :after order by row_number limit :limit`,
      { importId, after, limit: pageRows },
      { row: ImportProblemRow },
    );
    yield* rows;
    if (rows.length < pageRows) return;
    after = rows[rows.length - 1]!.row;
  }
}
