import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { ValidationError } from '../../engine/errors/app-error.ts';
import { auditActions, findAuditEntries, type AuditFilter, type AuditRow } from '../../platform/audit/audit-query.sql.ts';
import { AuditActionsDto, AuditEntryDto } from '../dto/audit.dto.ts';
import { decodeCursor, page, PageQuery } from '../pagination.ts';
import { PageDto } from '../dto/page.dto.ts';
import { defineRoute } from '../route.ts';

const AuditFilterQuery = z.object({
  actorId: z.uuid().optional(),
  action: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[a-z0-9_.]+$/, 'an action such as api_key.revoked, or a family such as api_key.')
    .optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

function filterOf(q: z.output<typeof AuditFilterQuery>): AuditFilter {
  const filter = {
    actorId: q.actorId,
    action: q.action,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
  };
  if (filter.from && filter.to && filter.from >= filter.to)
    throw new ValidationError('"from" must be before "to"', { details: [{ path: 'to', message: 'must be after "from"' }] });
  return filter;
}

function toDto(e: AuditRow): z.infer<typeof AuditEntryDto> {
  return {
    id: e.id,
    actorKind: e.actorKind,
    actorId: e.actorId,
    actorName: e.actorName,
    action: e.action,
    targetKind: e.targetKind,
    targetId: e.targetId,
    details: e.details,
    createdAt: e.createdAt.toISOString(),
  };
}

/** Rows per statement while exporting: the export streams, so its memory stays flat whatever the log's size. */
const EXPORT_BATCH_ROWS = 1_000;
const CSV_COLUMNS = ['time', 'actor', 'actor_type', 'action', 'target_type', 'target_id', 'details'];

/** A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`) is written as text. */
function cell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function csvRow(e: AuditRow): string[] {
  const actor = e.actorKind === 'system' ? 'System' : (e.actorName ?? `(removed ${e.actorKind === 'api_key' ? 'API key' : 'member'})`);
  return [e.createdAt.toISOString(), cell(actor), e.actorKind, e.action, e.targetKind ?? '', e.targetId ?? '', JSON.stringify(e.details)];
}

export const auditRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/audit-log',
    summary:
      'The audit log, newest first; filter by actor (member or API key id), action (exact, or a family ending in ".") and time range',
    tag: 'audit',
    auth: 'audit.read',
    query: PageQuery.extend(AuditFilterQuery.shape),
    response: PageDto(AuditEntryDto),
    async handler({ em, auth, query }) {
      const cursor = decodeCursor(query.cursor);
      const rows = await findAuditEntries(em, auth.workspaceId, filterOf(query), { beforeId: cursor?.id ?? null, limit: query.limit + 1 });
      const result = page(rows, query.limit, (e) => ({ at: e.createdAt.toISOString(), id: e.id }));
      return { items: result.items.map(toDto), nextCursor: result.nextCursor };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/audit-log/actions',
    summary: 'The actions the audit log holds, for its filter',
    tag: 'audit',
    auth: 'audit.read',
    response: AuditActionsDto,
    async handler({ em, auth }) {
      return { items: await auditActions(em, auth.workspaceId) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/audit-log/export',
    summary: 'The audit log as CSV (text/csv), newest first, with the same filters; streamed, whatever its size',
    tag: 'audit',
    auth: 'audit.read',
    query: AuditFilterQuery,
    async handler({ em, auth, query, res }) {
      const filter = filterOf(query);
      res.status(200);
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="audit-log-${new Date().toISOString().slice(0, 10)}.csv"`);
      res.write(stringify([CSV_COLUMNS]));
      let beforeId: string | null = null;
      for (;;) {
        const rows = await findAuditEntries(em, auth.workspaceId, filter, { beforeId, limit: EXPORT_BATCH_ROWS });
        if (rows.length === 0 || res.destroyed) break;
        // Wait for the client to take a batch before reading the next (backpressure).
        if (!res.write(stringify(rows.map(csvRow)))) await new Promise((resolve) => res.once('drain', resolve));
        if (rows.length < EXPORT_BATCH_ROWS) break;
        beforeId = rows.at(-1)!.id;
      }
      res.end();
      return undefined;
    },
  }),
];
