import { z } from 'zod';
import { ROLES } from '../../engine/tenancy/role.ts';

/** A pending invitation of the workspace (never its link). */
export const InvitationDto = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(ROLES),
  invitedByName: z.string().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
});

/** A new invitation: its link is in this answer only. */
export const CreatedInvitationDto = InvitationDto.extend({ acceptUrl: z.string(), emailed: z.boolean() });

/** What an invitation link offers (POST /invitations/lookup). */
export const InvitationLookupDto = z.object({
  email: z.string(),
  role: z.enum(ROLES),
  workspaceName: z.string(),
  inviterName: z.string().nullable(),
  expiresAt: z.string(),
  hasAccount: z.boolean(),
});
