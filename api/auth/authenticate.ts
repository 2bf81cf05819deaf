import type { Request } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UnauthenticatedError } from '../../engine/errors/app-error.ts';
import type { Role } from '../../engine/tenancy/role.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { AuthContext } from '../route.ts';
import type { SessionTokens } from './session-tokens.ts';
import { API_KEY_PREFIX, hashApiKey } from './api-key-secret.ts';

/** The cookie that carries the session token to browser-only pages (the queue dashboard). */
export const SESSION_COOKIE = 'om_session';

/** The bearer credential of a request, or, when allowed, the session cookie. */
export function credentialOf(req: Request, opts: { allowCookie?: boolean } = {}): string | null {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"');
    return match[1]!;
  }
  if (opts.allowCookie) {
    const cookie = req.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (cookie) return decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1));
  }
  return null;
}

/**
 * Resolves a credential to the caller's workspace and role. Session tokens are checked against
 * the current membership on every request; API keys must not be revoked.
 */
export async function authenticate(em: EntityManager, tokens: SessionTokens, credential: string | null): Promise<AuthContext> {
  if (!credential) throw new UnauthenticatedError('this endpoint needs "Authorization: Bearer <token or API key>"');
  if (credential.startsWith(API_KEY_PREFIX)) {
    // Plain statements, not the ORM: this runs before every API call.
    const key = (await runSql<{ id: string; workspaceId: string; role: string }>(em, `select id, workspace_id as "workspaceId", role from api_keys where key_hash = :keyHash and revoked_at is null`, { keyHash: hashApiKey(credential) })).rows[0];
    if (!key) throw new UnauthenticatedError('unknown or revoked API key');
    // Recorded at most once a minute per key, outside the request's critical path.
    void runSql(em, `update api_keys set last_used_at = now() where id = :id and (last_used_at is null or last_used_at < now() - interval '1 minute')`, { id: key.id }).catch(() => undefined);
    return { workspaceId: key.workspaceId, role: key.role as Role, actorKind: 'api_key', userId: null, apiKeyId: key.id };
  }
  const claims = await tokens.verify(credential);
  const membership = (await runSql<{ role: string }>(em, `select role from memberships where user_id = :userId and workspace_id = :workspaceId`, { userId: claims.userId, workspaceId: claims.workspaceId })).rows[0];
  if (!membership) throw new UnauthenticatedError('you are no longer a member of this workspace; log in again');
  return { workspaceId: claims.workspaceId, role: membership.role as Role, actorKind: 'user', userId: claims.userId, apiKeyId: null };
}
