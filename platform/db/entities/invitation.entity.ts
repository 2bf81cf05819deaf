import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ROLES } from '../../../engine/tenancy/role.ts';

export const InvitationSchema = defineEntity({
  name: 'Invitation',
  tableName: 'invitations',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    /** Lower-cased; only an account with this email may accept. */
    email: p.text(),
    role: p.enum([...ROLES]),
    /** SHA-256 of the token; the token itself is shown once, in the accept link, and never stored. */
    tokenHash: p.text().hidden(),
    invitedBy: p.uuid().nullable(),
    expiresAt: p.datetime(),
    acceptedAt: p.datetime().nullable(),
    acceptedBy: p.uuid().nullable(),
    revokedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Invitation = InferEntity<typeof InvitationSchema>;
