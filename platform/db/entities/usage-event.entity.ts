import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const UsageEventSchema = defineEntity({
  name: 'UsageEvent',
  tableName: 'usage_events',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid().nullable(),
    userId: p.uuid().nullable(),
    ip: p.text().columnType('inet').nullable(),
    userAgent: p.text().nullable(),
    method: p.text(),
    path: p.text(),
    status: p.integer(),
    durationMs: p.float(),
    createdAt: p.datetime(),
  },
});
export type UsageEvent = InferEntity<typeof UsageEventSchema>;
