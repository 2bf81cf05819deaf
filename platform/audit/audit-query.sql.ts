import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../pipeline/run-sql.ts';

/** What the audit log page filters by; every field optional. */
export interface AuditFilter {
  /** A member's user id or an API key's id. */
  actorId?: string | undefined;
  /** An exact action (`api_key.revoked`) or a family ending in a dot (`api_key.`). */
  action?: string | undefined;
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
}

const AuditRowSchema = z.object({
  id: z.string(),
  actorKind: z.enum(['user', 'api_key', 'system']),
  actorId: z.string().nullable(),
  /** The member's name or the key's name as they are now; null for the system or a deleted actor. */
  actorName: z.string().nullable(),
  action: z.string(),
  targetKind: z.string().nullable(),
  targetId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
});
export type AuditRow = z.infer<typeof AuditRowSchema>;

// Audit ids are UUIDv7, so id order is time order: pages walk `id < :beforeId` on the primary key
// within the workspace, and the date range narrows on audit_log_workspace_created.
const SELECT_PAGE = `
  select a.id, a.actor_kind as "actorKind", a.actor_id as "actorId",
         coalesce(u.name, k.name) as "actorName",
         a.action, a.target_kind as "targetKind", a.target_id as "targetId", a.details, a.created_at as "createdAt"
  from audit_log a
  left join users u on a.actor_kind = 'user' and u.id = a.actor_id
  left join api_keys k on a.actor_kind = 'api_key' and k.id = a.actor_id and k.workspace_id = a.workspace_id
  where a.workspace_id = :workspaceId
    and (cast(:beforeId as uuid) is null or a.id < cast(:beforeId as uuid))
    and (cast(:actorId as uuid) is null or a.actor_id = cast(:actorId as uuid))
    and (cast(:action as text) is null or a.action = cast(:action as text) or (right(cast(:action as text), 1) = '.' and starts_with(a.action, cast(:action as text))))
    and (cast(:fromAt as timestamptz) is null or a.created_at >= cast(:fromAt as timestamptz))
    and (cast(:toAt as timestamptz) is null or a.created_at < cast(:toAt as timestamptz))
  order by a.id desc
  limit :limit`;

/** One page of the workspace's audit log, newest first, after `beforeId` when given. */
export async function findAuditEntries(
  em: EntityManager,
  workspaceId: string,
  filter: AuditFilter,
  pageOpts: { beforeId: string | null; limit: number },
): Promise<AuditRow[]> {
  const res = await runSql(
    em,
    SELECT_PAGE,
    {
      workspaceId,
      beforeId: pageOpts.beforeId,
      actorId: filter.actorId ?? null,
      action: filter.action ?? null,
      fromAt: filter.from ?? null,
      toAt: filter.to ?? null,
      limit: pageOpts.limit,
    },
    { row: AuditRowSchema },
  );
  return res.rows;
}

const ACTIONS_SQL = `select distinct action from audit_log where workspace_id = :workspaceId order by action`;
const ActionRow = z.object({ action: z.string() });

/** The distinct actions the workspace's log holds, for the action filter. */
export async function auditActions(em: EntityManager, workspaceId: string): Promise<string[]> {
  const res = await runSql(em, ACTIONS_SQL, { workspaceId }, { row: ActionRow });
  return res.rows.map((r) => r.action);
}
