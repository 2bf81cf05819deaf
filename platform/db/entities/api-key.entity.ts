import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ROLES } from '../../../engine/tenancy/role.ts';

export const ApiKeySchema = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    name: p.text(),
    /** The first characters of the key, shown in lists so that a user can tell keys apart. */
    prefix: p.text(),
    /** SHA-256 of the whole key; the key itself is shown once at creation and never stored. */
    keyHash: p.text().hidden(),
    role: p.enum([...ROLES]),
    createdBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKeySchema>;
