import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEntrySchema } from '../db/entities/audit-entry.entity.ts';
import { newId } from '../ids.ts';

export interface AuditInput {
  workspaceId: string | null;
  actor: { kind: 'user' | 'api_key' | 'system'; id: string | null };
  action: string;
  target?: { kind: string; id: string };
  /** Ids, counts and field names only: never a copy of personal data. */
  details?: Record<string, unknown>;
  ip?: string | null;
}

/** Adds an audit entry to the unit of work of `em` (written with the change it describes). */
export function audit(em: EntityManager, input: AuditInput): void {
  em.create(AuditEntrySchema, {
    id: newId(),
    workspaceId: input.workspaceId,
    actorKind: input.actor.kind,
    actorId: input.actor.id,
    action: input.action,
    targetKind: input.target?.kind ?? null,
    targetId: input.target?.id ?? null,
    details: input.details ?? {},
    ip: input.ip ?? null,
    createdAt: new Date(),
  });
}
