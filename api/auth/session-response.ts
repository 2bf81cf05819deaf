import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../../engine/tenancy/role.ts';
import type { User } from '../../platform/db/entities/user.entity.ts';
import type { Workspace } from '../../platform/db/entities/workspace.entity.ts';
import type { ApiDeps } from '../api-deps.ts';
import { SessionDto } from '../dto/session.dto.ts';
import { toUserDto } from '../dto/user.dto.ts';
import { toWorkspaceDto } from '../dto/workspace.dto.ts';
import { setSessionCookies } from './session-cookie.ts';

/** What signup, login, switch and accepting an invitation answer (api/dto/session.dto.ts). */
export const SessionResponse = SessionDto;

/**
 * Issues a session token for `user` in `workspace` at the user's current token version, sets the
 * editor's session and CSRF cookies and returns the answer body (scripts use its `token`).
 */
export async function openSession(
  deps: ApiDeps,
  req: Request,
  res: Response,
  user: User,
  workspace: Workspace,
  role: Role,
): Promise<z.infer<typeof SessionResponse>> {
  const token = await deps.tokens.issue({ userId: user.id, workspaceId: workspace.id, version: user.tokenVersion });
  setSessionCookies(req, res, token, deps.config.publicUrl);
  return { token, user: toUserDto(user), workspace: toWorkspaceDto(workspace), role };
}
