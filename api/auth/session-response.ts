import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Role } from '../../engine/tenancy/role.ts';
import type { User } from '../../platform/db/entities/user.entity.ts';
import type { Workspace } from '../../platform/db/entities/workspace.entity.ts';
import type { ApiDeps } from '../api-deps.ts';
import { toUserDto, UserDto } from '../dto/user.dto.ts';
import { toWorkspaceDto, WorkspaceDto } from '../dto/workspace.dto.ts';
import { SESSION_COOKIE } from './authenticate.ts';

/** What signup, login, switch and accepting an invitation answer: a session in one workspace. */
export const SessionResponse = z.object({ token: z.string(), user: UserDto, workspace: WorkspaceDto, role: z.string() });

/** The session cookie only reaches /admin (the queue dashboard), so API calls cannot ride on it. */
function setSessionCookie(res: Response, token: string, secure: boolean): void {
  res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/admin', secure, maxAge: 7 * 24 * 3600 * 1000 });
}

/** Issues a session token for `user` in `workspace`, sets the cookie and returns the answer body. */
export async function openSession(deps: ApiDeps, req: Request, res: Response, user: User, workspace: Workspace, role: Role): Promise<z.infer<typeof SessionResponse>> {
  const token = await deps.tokens.issue({ userId: user.id, workspaceId: workspace.id });
  setSessionCookie(res, token, req.secure);
  return { token, user: toUserDto(user), workspace: toWorkspaceDto(workspace), role };
}
