import { z } from 'zod';
import { ROLES } from '../../engine/tenancy/role.ts';

export const MemberDto = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
});
