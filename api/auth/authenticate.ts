import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { UnauthenticatedError } from '../../engine/errors/app-error.ts';
import { ROLES } from '../../engine/tenancy/role.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { AuthContext } from '../route.ts';
import type { SessionTokens } from './session-tokens.ts';
import { API_KEY_PREFIX } from './api-key-secret.ts';
import { hashRandomToken } from './random-token.ts';
import { CsrfRejectedError } from './csrf-rejected.error.ts';
import { cookieOf, CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from './session-cookie.ts';
import type { AuthCache } from './auth-cache.ts';

/** A credential and where it came from: the Authorization header, or the editor's session cookie. */
export interface Credential {
  secret: string;
  via: 'header' | 'cookie';
}

/** Methods that change nothing: a cross-site request with one of them cannot act for the user. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfEchoed(req: Request): boolean {
  const cookie = cookieOf(req, CSRF_COOKIE);
  const header = req.headers[CSRF_HEADER];
  if (!cookie || typeof header !== 'string') return false;
  const [a, b] = [Buffer.from(cookie), Buffer.from(header)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The credential of a request: the Bearer header, or, when there is no header, the session
 * cookie. An explicit header always wins, so a script's token is never mixed with a
 * browser's cookie. A cookie on a state-changing request must come with the CSRF token echoed
 * in its header (CsrfRejectedError otherwise); a Bearer header needs none, since no other site
 * can make a browser send it.
 */
export function credentialOf(req: Request): Credential | null {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"');
    return { secret: match[1]!, via: 'header' };
  }
  const cookie = cookieOf(req, SESSION_COOKIE);
  if (!cookie) return null;
  if (!SAFE_METHODS.has(req.method) && !csrfEchoed(req)) throw new CsrfRejectedError();
  return { secret: cookie, via: 'cookie' };
}

const API_KEY_SQL = `select id, workspace_id as "workspaceId", role from api_keys where key_hash = :keyHash and revoked_at is null`;

const ApiKeyRow = z.object({ id: z.string(), workspaceId: z.string(), role: z.enum(ROLES) });

const SESSION_SQL = `select m.role, u.token_version as "tokenVersion", exists (select 1 from revoked_sessions r where r.jti = :jti) as revoked
       from memberships m join users u on u.id = m.user_id
       where m.user_id = :userId and m.workspace_id = :workspaceId`;

const SessionRow = z.object({ role: z.enum(ROLES), tokenVersion: z.number(), revoked: z.boolean() });

/**
 * Resolves a credential to the caller's workspace and role: from the cache when this process
 * checked it within AUTH_CACHE_TTL_MS (see AuthCache for the bound on revocations), otherwise by
 * checking it. `em` is only called on a miss (a request answered from the cache forks no entity
 * manager for its authentication).
 */
export async function authenticate(
  deps: { tokens: SessionTokens; cache: AuthCache; em: () => EntityManager },
  credential: Credential | null,
): Promise<AuthContext> {
  if (!credential)
    throw new UnauthenticatedError('this endpoint needs "Authorization: Bearer <token or API key>" or a session cookie; log in first');
  return deps.cache.resolve(credential, () => check(deps.em(), deps.tokens, credential));
}

/**
 * A session token is checked against the membership, the user's token version and the revoked
 * sessions, in one statement; API keys must not be revoked.
 */
async function check(em: EntityManager, tokens: SessionTokens, credential: Credential): Promise<AuthContext> {
  if (credential.secret.startsWith(API_KEY_PREFIX)) {
    // Plain statements, not the ORM: this runs before every API call the cache does not answer.
    const key = (await runSql(em, API_KEY_SQL, { keyHash: hashRandomToken(credential.secret) }, { row: ApiKeyRow })).rows[0];
    if (!key) throw new UnauthenticatedError('unknown or revoked API key');
    // Recorded at most once a minute per key (a check, not a cache hit, so at least once per AUTH_CACHE_TTL_MS of use), outside the request's critical path.
    void runSql(
      em,
      `update api_keys set last_used_at = now() where id = :id and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
      { id: key.id },
    ).catch(() => undefined);
    return { workspaceId: key.workspaceId, role: key.role, actorKind: 'api_key', userId: null, apiKeyId: key.id, session: null };
  }
  const session = await tokens.verify(credential.secret);
  const row = (
    await runSql(em, SESSION_SQL, { userId: session.userId, workspaceId: session.workspaceId, jti: session.id }, { row: SessionRow })
  ).rows[0];
  if (!row) throw new UnauthenticatedError('you are no longer a member of this workspace; log in again');
  if (row.revoked) throw new UnauthenticatedError('this session was logged out; log in again');
  if (row.tokenVersion !== session.version)
    throw new UnauthenticatedError('this session has ended (the password was changed or every session was logged out); log in again');
  return {
    workspaceId: session.workspaceId,
    role: row.role,
    actorKind: 'user',
    userId: session.userId,
    apiKeyId: null,
    session: { id: session.id, expiresAt: session.expiresAt, via: credential.via },
  };
}
