import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ConflictError, NotFoundError, UnauthenticatedError, ValidationError } from '../../engine/errors/app-error.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { hashPassword, verifyPassword } from '../../platform/crypto/password.ts';
import { MembershipSchema } from '../../platform/db/entities/membership.entity.ts';
import { UserSchema, type User } from '../../platform/db/entities/user.entity.ts';
import { WorkspaceSchema, type Workspace } from '../../platform/db/entities/workspace.entity.ts';
import { newId } from '../../platform/ids.ts';
import { Email, Password } from '../auth/credential-fields.ts';
import { LoginRateLimit } from '../auth/login-rate-limit.ts';
import { clearSessionCookies } from '../auth/session-cookie.ts';
import { openSession, SessionResponse } from '../auth/session-response.ts';
import { MeDto } from '../dto/session.dto.ts';
import { endEverySession, revokeSession } from '../auth/session-revocation.ts';
import { WrongPasswordError } from '../auth/wrong-password.error.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { AuthContext } from '../route.ts';
import { actorOf } from './actor.ts';
import { toUserDto } from '../dto/user.dto.ts';
import { toWorkspaceDto } from '../dto/workspace.dto.ts';
import { defineRoute } from '../route.ts';
import { privacyOf } from './retention.routes.ts';

/** A hash of a random password, checked when the email is unknown so that timing does not reveal which emails exist. */
let decoyHash: Promise<string> | undefined;

function limiterOf(deps: ApiDeps): LoginRateLimit {
  return new LoginRateLimit(deps.redis, deps.config.redisPrefix, deps.clock);
}

/** The session of the caller; API keys have none (they are revoked, not logged out). */
function sessionOf(auth: AuthContext, action: string): { userId: string; session: NonNullable<AuthContext['session']> } {
  if (!auth.userId || !auth.session)
    throw new UnauthenticatedError(
      `an API key cannot ${action}: use a user's session token (revoke a key with DELETE /api/v1/api-keys/:id)`,
    );
  return { userId: auth.userId, session: auth.session };
}

async function userWorkspaces(em: EntityManager, userId: string) {
  const memberships = await em.find(MembershipSchema, { userId }, { orderBy: { createdAt: 'asc' } });
  const workspaces = await em.find(WorkspaceSchema, { id: { $in: memberships.map((m) => m.workspaceId) } });
  const byId = new Map(workspaces.map((w) => [w.id, w]));
  return memberships.flatMap((m) => {
    const w = byId.get(m.workspaceId);
    return w ? [{ workspace: w, role: m.role }] : [];
  });
}

export const authRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/auth/signup',
    summary: 'Create an account and its first workspace',
    tag: 'auth',
    auth: 'public',
    status: 201,
    body: z.object({
      email: Email,
      password: Password,
      name: z.string().trim().min(1).max(200),
      workspaceName: z.string().trim().min(1).max(200),
    }),
    response: SessionResponse,
    exampleBody: { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada', workspaceName: 'Ada & Co' },
    async handler({ deps, em, body, req, res }) {
      const limiter = limiterOf(deps);
      const ip = req.ip ?? 'unknown';
      await limiter.attemptAddress(ip);
      if (await em.count(UserSchema, { email: body.email }))
        throw new ConflictError('an account with this email already exists; log in instead');
      const passwordHash = await hashPassword(body.password);
      const now = deps.clock.now();
      const user = {
        id: newId(),
        email: body.email,
        name: body.name,
        passwordHash,
        tokenVersion: 0,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: now,
      };
      const workspace = { id: newId(), name: body.workspaceName, timezone: 'UTC', plan: 'free', createdAt: now, updatedAt: now };
      try {
        await em.transactional(async (tx) => {
          // Entities hold ids, not relations, so the unit of work cannot order inserts by foreign
          // key: the user and the workspace are written before the rows that refer to them.
          tx.create(UserSchema, user);
          tx.create(WorkspaceSchema, workspace);
          await tx.flush();
          tx.create(MembershipSchema, { id: newId(), workspaceId: workspace.id, userId: user.id, role: 'owner', createdAt: now });
          audit(tx, {
            workspaceId: workspace.id,
            actor: { kind: 'user', id: user.id },
            action: 'workspace.created',
            target: { kind: 'workspace', id: workspace.id },
            ip: req.ip,
          });
        });
      } catch (err) {
        // Two signups with one email at once: the unique index decides.
        if ((err as { code?: string }).code === '23505')
          throw new ConflictError('an account with this email already exists; log in instead', { cause: err });
        throw err;
      }
      await limiter.addressSucceeded(ip);
      // Its nightly retention sweep (03:00 workspace time) from the first day.
      await privacyOf(deps).syncSchedule(workspace.id);
      return openSession(deps, req, res, user as User, workspace as Workspace, 'owner');
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/auth/login',
    summary: 'Log in; returns a session token for the first (or the named) workspace',
    tag: 'auth',
    auth: 'public',
    body: z.object({ email: Email, password: z.string().min(1).max(200), workspaceId: z.uuid().optional() }),
    response: SessionResponse,
    exampleBody: { email: 'ada@example.com', password: 'correct horse battery' },
    async handler({ deps, em, body, req, res }) {
      const limiter = limiterOf(deps);
      const ip = req.ip ?? 'unknown';
      // Counted as a failure from here on, unless the password is right.
      await limiter.attempt(body.email, ip);
      const user = await em.findOne(UserSchema, { email: body.email });
      decoyHash ??= hashPassword(newId());
      const ok = await verifyPassword(body.password, user?.passwordHash ?? (await decoyHash));
      if (!user || !ok) {
        await limiter.recordFailure(body.email, ip);
        throw new UnauthenticatedError('invalid email or password');
      }
      await limiter.recordSuccess(body.email, ip);
      const memberships = await userWorkspaces(em, user.id);
      const chosen = body.workspaceId ? memberships.find((m) => m.workspace.id === body.workspaceId) : memberships[0];
      if (!chosen)
        throw body.workspaceId
          ? new NotFoundError('workspace', body.workspaceId)
          : new UnauthenticatedError('this account belongs to no workspace');
      user.lastLoginAt = deps.clock.now();
      await em.flush();
      return openSession(deps, req, res, user, chosen.workspace, chosen.role);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/auth/me',
    summary: 'The caller, the current workspace and every workspace the user belongs to',
    tag: 'auth',
    auth: 'workspace.read',
    response: MeDto,
    async handler({ em, auth }) {
      const workspace = await em.findOneOrFail(WorkspaceSchema, { id: auth.workspaceId });
      let user: User | null = null;
      let workspaces: { id: string; name: string; role: string }[] = [];
      if (auth.userId) {
        user = await em.findOneOrFail(UserSchema, { id: auth.userId });
        workspaces = (await userWorkspaces(em, auth.userId)).map((m) => ({ id: m.workspace.id, name: m.workspace.name, role: m.role }));
      }
      return {
        user: user ? toUserDto(user) : null,
        workspace: toWorkspaceDto(workspace),
        role: auth.role,
        actorKind: auth.actorKind,
        workspaces,
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/auth/switch',
    summary: 'Get a session token for another workspace the user belongs to',
    tag: 'auth',
    auth: 'workspace.read',
    body: z.object({ workspaceId: z.uuid() }),
    response: SessionResponse,
    exampleBody: { workspaceId: '00000000-0000-7000-8000-000000000000' },
    async handler({ deps, em, auth, body, req, res }) {
      if (!auth.userId) throw new UnauthenticatedError('API keys belong to one workspace and cannot switch');
      const membership = await em.findOne(MembershipSchema, { userId: auth.userId, workspaceId: body.workspaceId });
      if (!membership) throw new NotFoundError('workspace', body.workspaceId);
      const [user, workspace] = await Promise.all([
        em.findOneOrFail(UserSchema, { id: auth.userId }),
        em.findOneOrFail(WorkspaceSchema, { id: body.workspaceId }),
      ]);
      return openSession(deps, req, res, user, workspace, membership.role);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/auth/logout',
    endsCredentials: true,
    summary: 'Log out: this session token stops working at once (and the session cookie is cleared)',
    tag: 'auth',
    auth: 'workspace.read',
    status: 204,
    async handler({ deps, em, auth, req, res }) {
      const { userId, session } = sessionOf(auth, 'log out');
      await revokeSession(em, { id: session.id, userId, expiresAt: session.expiresAt });
      clearSessionCookies(req, res, deps.config.publicUrl);
      return undefined;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/auth/logout-all',
    endsCredentials: true,
    summary: 'Log out everywhere: every session of the user, in every workspace, stops working (this one too)',
    tag: 'auth',
    auth: 'workspace.read',
    status: 204,
    async handler({ deps, em, auth, req, res }) {
      const { userId } = sessionOf(auth, 'log out');
      await em.transactional(async (tx) => {
        await endEverySession(tx, userId);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'user.logged_out_everywhere',
          target: { kind: 'user', id: userId },
          ip: req.ip,
        });
      });
      clearSessionCookies(req, res, deps.config.publicUrl);
      return undefined;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/auth/password',
    endsCredentials: true,
    summary: "Change the user's password: every other session ends; the answer carries a fresh token for this one",
    tag: 'auth',
    auth: 'workspace.read',
    body: z.object({ current: z.string().min(1).max(200), next: Password }),
    response: SessionResponse,
    exampleBody: { current: 'correct horse battery', next: 'a new long passphrase' },
    async handler({ deps, em, auth, body, req, res }) {
      const { userId } = sessionOf(auth, 'change a password');
      if (body.next === body.current)
        throw new ValidationError('the new password must differ from the current one', {
          details: [{ path: 'next', message: 'choose a password different from the current one' }],
        });
      const user = await em.findOneOrFail(UserSchema, { id: userId });
      // Guessing the current password with a stolen session is throttled exactly like login.
      const limiter = limiterOf(deps);
      const ip = req.ip ?? 'unknown';
      await limiter.attempt(user.email, ip);
      if (!(await verifyPassword(body.current, user.passwordHash))) {
        await limiter.recordFailure(user.email, ip);
        throw new WrongPasswordError();
      }
      await limiter.recordSuccess(user.email, ip);
      const passwordHash = await hashPassword(body.next);
      const version = await em.transactional(async (tx) => {
        const version = await endEverySession(tx, userId);
        await tx.nativeUpdate(UserSchema, { id: userId }, { passwordHash });
        // Never the password, old or new.
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'user.password_changed',
          target: { kind: 'user', id: userId },
          ip: req.ip,
        });
        return version;
      });
      const workspace = await em.findOneOrFail(WorkspaceSchema, { id: auth.workspaceId });
      return openSession(deps, req, res, { ...user, tokenVersion: version }, workspace, auth.role);
    },
  }),
];
