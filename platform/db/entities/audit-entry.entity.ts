import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const AuditEntrySchema = defineEntity({
  name: 'AuditEntry',
  tableName: 'audit_log',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid().nullable(),
    actorKind: p.enum(['user', 'api_key', 'system'] as const),
    actorId: p.uuid().nullable(),
    action: p.text(),
    targetKind: p.text().nullable(),
    targetId: p.uuid().nullable(),
    /** Ids and counts only: never a copy of personal data that may later be erased. */
    details: p.json<Record<string, unknown>>().default('{}'),
    ip: p.text().columnType('inet').nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type AuditEntry = InferEntity<typeof AuditEntrySchema>;
