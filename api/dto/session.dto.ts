import { z } from 'zod';
import { ROLES } from '../../engine/tenancy/role.ts';
import { UserDto } from './user.dto.ts';
import { WorkspaceDto } from './workspace.dto.ts';

/** What signup, login, switch and accepting an invitation answer: a session in one workspace. */
export const SessionDto = z.object({ token: z.string(), user: UserDto, workspace: WorkspaceDto, role: z.string() });

/** GET /auth/me: the caller (no user for an API key), the current workspace and role, and every workspace the user belongs to. */
export const MeDto = z.object({
  user: UserDto.nullable(),
  workspace: WorkspaceDto,
  role: z.enum(ROLES),
  actorKind: z.string(),
  workspaces: z.array(z.object({ id: z.uuid(), name: z.string(), role: z.string() })),
});
