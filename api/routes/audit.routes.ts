import { z } from 'zod';
import { AuditEntrySchema } from '../../platform/db/entities/audit-entry.entity.ts';
import { decodeCursor, page, PageQuery } from '../pagination.ts';
import { defineRoute } from '../route.ts';

const AuditDto = z.object({ id: z.uuid(), actorKind: z.string(), actorId: z.uuid().nullable(), action: z.string(), targetKind: z.string().nullable(), targetId: z.uuid().nullable(), details: z.record(z.string(), z.unknown()), createdAt: z.string() });

export const auditRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/audit-log',
    summary: 'The audit log, newest first',
    tag: 'audit',
    auth: 'audit.read',
    query: PageQuery,
    response: z.object({ items: z.array(AuditDto), nextCursor: z.string().nullable() }),
    async handler({ em, auth, query }) {
      const cursor = decodeCursor(query.cursor);
      // Audit ids are UUIDv7: id order is time order.
      const rows = await em.find(AuditEntrySchema, { workspaceId: auth.workspaceId, ...(cursor ? { id: { $lt: cursor.id } } : {}) }, { orderBy: { id: 'desc' }, limit: query.limit + 1 });
      const result = page(rows, query.limit, (e) => ({ at: e.createdAt.toISOString(), id: e.id }));
      return {
        items: result.items.map((e) => ({ id: e.id, actorKind: e.actorKind, actorId: e.actorId ?? null, action: e.action, targetKind: e.targetKind ?? null, targetId: e.targetId ?? null, details: e.details, createdAt: e.createdAt.toISOString() })),
        nextCursor: result.nextCursor,
      };
    },
  }),
];
