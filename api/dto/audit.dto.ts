import { z } from 'zod';

/** One line of the audit log (GET /v1/audit-log). */
export const AuditEntryDto = z.object({
  id: z.uuid(),
  actorKind: z.string(),
  actorId: z.uuid().nullable(),
  /** The member's or the API key's name as it is now; null for the system. */
  actorName: z.string().nullable(),
  action: z.string(),
  targetKind: z.string().nullable(),
  targetId: z.uuid().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

/** The actions the audit log holds (GET /v1/audit-log/actions), for its filter. */
export const AuditActionsDto = z.object({ items: z.array(z.string()) });
