import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const ContactSchema = defineEntity({
  name: 'Contact',
  tableName: 'contacts',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    /** E.164, or null for a contact known only by a channel-side id. */
    phone: p.text().nullable(),
    name: p.text().nullable(),
    attributes: p.json<Record<string, unknown>>().default('{}'),
    tags: p.array().default('{}'),
    optedOutAt: p.datetime().nullable(),
    restrictedAt: p.datetime().nullable(),
    legalHold: p.boolean().default(false),
    erasedAt: p.datetime().nullable(),
    consent: p.json<Record<string, unknown>>().default('{}'),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    lastSeenAt: p.datetime().nullable(),
    /** Created by the editor's test chat: never in segments, broadcast audiences, analytics or quotas. */
    isTest: p.boolean().default(false),
  },
});
export type Contact = InferEntity<typeof ContactSchema>;
