import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const IDENTITY_KINDS = ['phone', 'wa_jid', 'wa_lid', 'external'] as const;

export const ContactIdentitySchema = defineEntity({
  name: 'ContactIdentity',
  tableName: 'contact_identities',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    contactId: p.uuid(),
    channelId: p.uuid(),
    kind: p.enum([...IDENTITY_KINDS]),
    value: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type ContactIdentity = InferEntity<typeof ContactIdentitySchema>;
