import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse as parseSync } from 'csv-parse/sync';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import {
  detectDelimiter,
  ImportColumnsError,
  ImportOptionsSchema,
  MAX_IMPORT_ROWS,
  planColumns,
} from '../../engine/contacts/contact-import.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { ImportFileTooLargeError } from '../../engine/errors/import-file-too-large.error.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { enqueueContactImport } from '../../platform/contacts/contact-import-jobs.ts';
import { ensureImportDir, importFileKey, importFilesOf } from '../../platform/contacts/contact-import-files.ts';
import {
  eachProblem,
  findImport,
  firstProblems,
  insertImport,
  listImports,
  startCheckedImport,
  type ImportRow,
} from '../../platform/contacts/contact-import.store.ts';
import { newId } from '../../platform/ids.ts';
import { ContactImportDto, toContactImportDto } from '../dto/contact-import.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });
/** Largest upload accepted: a million rows of a dozen columns fit well within it. */
export const MAX_IMPORT_FILE_BYTES = 512 * 1_048_576;
/** Problems shown with an import on the page; the error report has all of them. */
const PROBLEMS_SHOWN = 50;
const RECENT_IMPORTS = 20;
/** Longest header line read from an upload. */
const MAX_HEADER_BYTES = 64 * 1024;

/** The options, JSON-encoded in the query string (the body is the file itself). */
const OptionsQuery = z
  .string()
  .max(20_000)
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'options must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(ImportOptionsSchema);

/**
 * Counts bytes and line breaks of an upload as it passes to the disk, and keeps its first line
 * (the header). Nothing else of the file stays in memory.
 */
class UploadMeter extends Transform {
  bytes = 0;
  newlines = 0;
  lastByte = -1;
  private head: Buffer[] = [];
  private headBytes = 0;
  headerLine: string | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > MAX_IMPORT_FILE_BYTES) return done(new ImportFileTooLargeError({ bytes: MAX_IMPORT_FILE_BYTES }));
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.newlines += 1;
    if (this.newlines > MAX_IMPORT_ROWS + 1) return done(new ImportFileTooLargeError({ rows: MAX_IMPORT_ROWS }));
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1]!;
    if (this.headerLine === null) {
      const end = chunk.indexOf(10);
      this.head.push(end === -1 ? chunk : chunk.subarray(0, end));
      this.headBytes += end === -1 ? chunk.length : end;
      if (end !== -1 || this.headBytes > MAX_HEADER_BYTES) this.takeHeader();
    }
    done(null, chunk);
  }

  override _flush(done: () => void): void {
    if (this.headerLine === null) this.takeHeader();
    done();
  }

  private takeHeader(): void {
    this.headerLine = Buffer.concat(this.head)
      .subarray(0, MAX_HEADER_BYTES)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .replace(/\r$/, '');
    this.head = [];
  }

  /** Data rows, as far as line breaks tell (a quoted line break counts too; the job counts exactly). */
  get estimatedRows(): number {
    const lines = this.newlines + (this.bytes > 0 && this.lastByte !== 10 ? 1 : 0);
    return Math.max(0, lines - 1);
  }
}

async function withProblems(em: Parameters<typeof firstProblems>[0], row: ImportRow) {
  return toContactImportDto(row, row.failed > 0 ? await firstProblems(em, row.id, PROBLEMS_SHOWN) : []);
}

/*
 * CSV imports of contacts (issue 20). The upload streams to a file; a job on the worker reads
 * it and writes contacts in batches; the import's row tells its progress. See
 * platform/contacts/contact-import.runner.ts.
 */
export const contactImportRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/contacts/imports',
    summary:
      'Import contacts from a CSV file sent as the request body (text/csv, up to 1,000,000 rows). Options, JSON in the `options` query parameter: columns (phone, name, tags, attributes; guessed from the header when absent), defaultCountry for local numbers, onExisting (update or skip), dryRun, addTags. Answers 202 at once; a background job imports, GET the import for progress',
    tag: 'contact-imports',
    auth: 'contacts.manage',
    query: z.object({ options: OptionsQuery, fileName: z.string().trim().min(1).max(200).default('contacts.csv') }),
    status: 202,
    response: ContactImportDto,
    async handler({ deps, em, auth, query, req }) {
      const type = String(req.headers['content-type'] ?? '');
      if (!/^(text\/(csv|plain)|application\/(octet-stream|vnd\.ms-excel))\b/.test(type)) {
        throw new ValidationError('send the CSV file itself as the request body, with content-type text/csv', {
          details: [{ path: 'content-type', message: 'expected text/csv' }],
        });
      }
      const files = importFilesOf(deps.config);
      const id = newId();
      const key = importFileKey(auth.workspaceId, id);
      const path = await ensureImportDir(files, key);
      const meter = new UploadMeter();
      try {
        await pipeline(req, meter, createWriteStream(path));
        if (!meter.headerLine?.trim()) throw new ValidationError('the file is empty: it needs a header row and at least one contact');
        const delimiter = detectDelimiter(meter.headerLine);
        const header = (parseSync(meter.headerLine, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][])[0] ?? [];
        try {
          planColumns(header, query.options);
        } catch (err) {
          if (err instanceof ImportColumnsError)
            throw new ValidationError(`${err.message}. Columns of the file: ${header.map((h) => `“${h}”`).join(', ')}`, {
              details: [{ path: 'columns', message: err.message }],
            });
          throw err;
        }
        if (meter.estimatedRows === 0) throw new ValidationError('the file has a header but no contacts');
        const row = await insertImport(em, {
          id,
          workspaceId: auth.workspaceId,
          requestedBy: auth.userId,
          fileName: query.fileName,
          fileKey: key,
          options: { ...query.options, delimiter, header },
          rowsTotal: meter.estimatedRows,
          now: deps.clock.now(),
        });
        audit(em, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'contacts.import_requested',
          target: { kind: 'contact_import', id },
          details: { dryRun: row.dryRun, bytes: meter.bytes },
          ip: req.ip,
        });
        await em.flush();
        await enqueueContactImport(deps.queues, id, row.dryRun ? 'check' : 'import');
        return toContactImportDto(row, []);
      } catch (err) {
        await rm(path, { force: true });
        // The rest of a refused upload is not read: the connection closes after the answer.
        if (!req.readableEnded) req.resume();
        throw err;
      }
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/contacts/imports',
    summary: 'Recent imports, newest first',
    tag: 'contact-imports',
    auth: 'contacts.manage',
    response: z.object({ items: z.array(ContactImportDto) }),
    async handler({ em, auth }) {
      return { items: (await listImports(em, auth.workspaceId, RECENT_IMPORTS)).map((r) => toContactImportDto(r, [])) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/contacts/imports/:id',
    summary: 'One import: status, rows done of the total, created/updated/skipped/failed, and its first 50 problems',
    tag: 'contact-imports',
    auth: 'contacts.manage',
    params: IdParams,
    response: ContactImportDto,
    async handler({ em, auth, params }) {
      const row = await findImport(em, auth.workspaceId, params.id);
      if (!row) throw new NotFoundError('import', params.id);
      return withProblems(em, row);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/contacts/imports/:id/start',
    summary: 'Import the file of a checked dry run, with the same options; 409 unless the import is a checked dry run',
    tag: 'contact-imports',
    auth: 'contacts.manage',
    params: IdParams,
    status: 202,
    response: ContactImportDto,
    exampleBody: {},
    async handler({ deps, em, auth, params, req }) {
      const row = await findImport(em, auth.workspaceId, params.id);
      if (!row) throw new NotFoundError('import', params.id);
      if (!(await startCheckedImport(em, auth.workspaceId, params.id)))
        throw new ConflictError(
          row.status === 'checked'
            ? 'the file of this dry run is no longer available: upload it again'
            : 'only a checked dry run can be started; this import has been started already',
        );
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'contacts.import_requested',
        target: { kind: 'contact_import', id: row.id },
        details: { dryRun: false, fromDryRun: true },
        ip: req.ip,
      });
      await em.flush();
      await enqueueContactImport(deps.queues, row.id, 'import');
      return toContactImportDto((await findImport(em, auth.workspaceId, params.id))!, []);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/contacts/imports/:id/problems.csv',
    summary:
      'The error report: every row that could not be imported, its row number, the problem, and its original cells (fix them and import the file again)',
    tag: 'contact-imports',
    auth: 'contacts.manage',
    params: IdParams,
    async handler({ em, auth, params, res }) {
      const row = await findImport(em, auth.workspaceId, params.id);
      if (!row) throw new NotFoundError('import', params.id);
      const header = row.options.header ?? [];
      res.status(200).set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="import-problems-${row.id}.csv"`,
        'cache-control': 'no-store',
      });
      const records = (async function* () {
        for await (const p of eachProblem(em, row.id)) yield [String(p.row), p.problem, ...p.values];
      })();
      await pipeline(Readable.from(records), stringify({ header: true, columns: ['Row', 'Problem', ...header] }), res);
      return undefined;
    },
  }),
];
