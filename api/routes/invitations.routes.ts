import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError, UnauthenticatedError } from '../../engine/errors/app-error.ts';
import { ROLES } from '../../engine/tenancy/role.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { InvitationSchema, type Invitation } from '../../platform/db/entities/invitation.entity.ts';
import { MembershipSchema } from '../../platform/db/entities/membership.entity.ts';
import { UserSchema } from '../../platform/db/entities/user.entity.ts';
import { WorkspaceSchema } from '../../platform/db/entities/workspace.entity.ts';
import { newId } from '../../platform/ids.ts';
import { IdRow, runSql } from '../../platform/pipeline/run-sql.ts';
import { authenticate, credentialOf } from '../auth/authenticate.ts';
import { Email, Password, PersonName } from '../auth/credential-fields.ts';
import { openSession, SessionResponse } from '../auth/session-response.ts';
import { acceptInvitation, findOpenInvitation, type Acceptor } from '../invitations/accept-invitation.ts';
import { invitationEmail } from '../invitations/invitation-email.ts';
import { generateRandomToken } from '../auth/random-token.ts';
import { INVITATION_TTL_MS, invitationAcceptUrl } from '../invitations/invitation-token.ts';
import { CreatedInvitationDto, InvitationDto, InvitationLookupDto } from '../dto/invitation.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });

/**
 * Invitations one workspace may create in a day. Anyone can sign up and own a workspace, and an
 * invitation makes this server email an address of the caller's choosing with text (a workspace
 * name) of the caller's choosing: the cap keeps one workspace from using it to send bulk mail.
 */
export const INVITATIONS_PER_DAY = 100;
const DAY_MS = 24 * 3600 * 1000;

/** The workspace's invitations of the last day: how many, and when the oldest was made (null when none). */
const DailyInvitationsRow = z.object({ n: z.number(), oldest: z.date().nullable() });

async function assertUnderDailyCap(em: EntityManager, workspaceId: string, now: Date): Promise<void> {
  const since = new Date(now.getTime() - DAY_MS);
  const [row] = (
    await runSql(
      em,
      `select count(*)::int as n, min(created_at) as oldest from invitations where workspace_id = :workspaceId and created_at > :since`,
      { workspaceId, since },
      { row: DailyInvitationsRow },
    )
  ).rows;
  if (!row || row.n < INVITATIONS_PER_DAY) return;
  // The slot frees when the oldest leaves the day.
  const freedAt = row.oldest!.getTime() + DAY_MS;
  throw new RateLimitedError(Math.max(1, Math.ceil((freedAt - now.getTime()) / 1000)));
}
/** 32 random bytes in base64url are 43 characters; anything much longer is not a token of ours. */
const Token = z.string().min(1).max(128);

async function inviterNames(em: EntityManager, invitations: Invitation[]): Promise<Map<string, string>> {
  const ids = [...new Set(invitations.flatMap((i) => (i.invitedBy ? [i.invitedBy] : [])))];
  if (!ids.length) return new Map();
  return new Map((await em.find(UserSchema, { id: { $in: ids } })).map((u) => [u.id, u.name]));
}

function toInvitationDto(i: Invitation, names: Map<string, string>): z.infer<typeof InvitationDto> {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    invitedByName: (i.invitedBy && names.get(i.invitedBy)) ?? null,
    expiresAt: i.expiresAt.toISOString(),
    createdAt: i.createdAt.toISOString(),
  };
}

/**
 * Revokes the open invitation of this email, if any: inviting again replaces the earlier link,
 * so at most one link per email and workspace works at a time (the unique index
 * `invitations_open` holds it).
 */
const REVOKE_OPEN_SQL = `update invitations set revoked_at = :now
  where workspace_id = :workspaceId and email = :email and accepted_at is null and revoked_at is null
  returning id`;

export const invitationRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/invitations',
    summary:
      'Invite someone by email; the accept link is in this response only (and in the email when SMTP is configured). Inviting an email again replaces its open invitation.',
    tag: 'invitations',
    auth: 'members.manage',
    status: 201,
    body: z.object({ email: Email, role: z.enum(ROLES) }),
    response: CreatedInvitationDto,
    exampleBody: { email: 'agent@example.com', role: 'agent' },
    async handler({ deps, em, auth, body, req }) {
      if (body.role === 'owner' && auth.role !== 'owner') throw new ForbiddenError(['owner']);
      const member = await em.findOne(UserSchema, { email: body.email });
      // Says only what the members list already shows this caller.
      if (member && (await em.count(MembershipSchema, { workspaceId: auth.workspaceId, userId: member.id })))
        throw new ConflictError('this person is already a member of the workspace');
      const now = deps.clock.now();
      await assertUnderDailyCap(em, auth.workspaceId, now);
      const { token, hash } = generateRandomToken();
      let invitation: Invitation;
      try {
        invitation = await em.transactional(async (tx) => {
          const replaced = await runSql(tx, REVOKE_OPEN_SQL, { now, workspaceId: auth.workspaceId, email: body.email }, { row: IdRow });
          for (const { id } of replaced.rows)
            audit(tx, {
              workspaceId: auth.workspaceId,
              actor: actorOf(auth),
              action: 'invitation.revoked',
              target: { kind: 'invitation', id },
              details: { reason: 'replaced' },
              ip: req.ip,
            });
          // A pending invitation holds a seat: the plan's seats are members plus open invitations.
          await deps.billing.assertCanAdd(tx, auth.workspaceId, 'seats');
          const created = tx.create(InvitationSchema, {
            id: newId(),
            workspaceId: auth.workspaceId,
            email: body.email,
            role: body.role,
            tokenHash: hash,
            invitedBy: auth.userId,
            expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
            acceptedAt: null,
            acceptedBy: null,
            revokedAt: null,
            createdAt: now,
          });
          // The audit keeps ids and the role: no email (personal data), never the token.
          audit(tx, {
            workspaceId: auth.workspaceId,
            actor: actorOf(auth),
            action: 'invitation.created',
            target: { kind: 'invitation', id: created.id },
            details: { role: body.role },
            ip: req.ip,
          });
          return created;
        });
      } catch (err) {
        if ((err as { code?: string }).code === '23505')
          throw new ConflictError(
            'another invitation for this email was created at the same moment; list the invitations and revoke or keep it',
            { cause: err },
          );
        throw err;
      }
      const acceptUrl = invitationAcceptUrl(deps.config.publicUrl, token);
      const names = await inviterNames(em, [invitation]);
      let emailed = false;
      if (deps.mailer) {
        const workspace = await em.findOneOrFail(WorkspaceSchema, { id: auth.workspaceId });
        try {
          await deps.mailer.send(
            invitationEmail({
              to: invitation.email,
              workspaceName: workspace.name,
              role: invitation.role,
              inviterName: names.get(invitation.invitedBy ?? '') ?? null,
              acceptUrl,
              expiresAt: invitation.expiresAt,
            }),
          );
          emailed = true;
        } catch (err) {
          // The invitation stands: the admin still has the link to hand over. The log names the
          // invitation, never the link (it is a credential).
          deps.logger.warn(
            { err, invitationId: invitation.id },
            'invitation email not sent; the link can be copied from the answer instead',
          );
        }
      }
      return { ...toInvitationDto(invitation, names), acceptUrl, emailed };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/invitations',
    summary: 'Pending invitations of the workspace (never their links)',
    tag: 'invitations',
    auth: 'members.manage',
    response: z.object({ items: z.array(InvitationDto) }),
    async handler({ deps, em, auth }) {
      const pending = await em.find(
        InvitationSchema,
        { workspaceId: auth.workspaceId, acceptedAt: null, revokedAt: null, expiresAt: { $gt: deps.clock.now() } },
        { orderBy: { createdAt: 'desc' } },
      );
      const names = await inviterNames(em, pending);
      return { items: pending.map((i) => toInvitationDto(i, names)) };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/invitations/:id',
    summary: 'Revoke an invitation: its link stops working',
    tag: 'invitations',
    auth: 'members.manage',
    params: IdParams,
    async handler({ deps, em, auth, params, req }) {
      const invitation = await em.findOne(InvitationSchema, { id: params.id, workspaceId: auth.workspaceId });
      if (!invitation) throw new NotFoundError('invitation', params.id);
      if (invitation.role === 'owner' && auth.role !== 'owner') throw new ForbiddenError(['owner']);
      if (invitation.acceptedAt) throw new ConflictError('this invitation was already accepted; remove the member instead');
      // Revoking twice is not an error: the link is dead either way.
      if (invitation.revokedAt) return undefined;
      invitation.revokedAt = deps.clock.now();
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'invitation.revoked',
        target: { kind: 'invitation', id: invitation.id },
        ip: req.ip,
      });
      await em.flush();
      return undefined;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/invitations/lookup',
    summary:
      'What an invitation link offers, for its accept page: who invited which email to which workspace, and whether that email has an account (log in first, then)',
    tag: 'invitations',
    auth: 'public',
    // A body, not a query string: the token stays out of access logs.
    body: z.object({ token: Token }),
    response: InvitationLookupDto,
    exampleBody: { token: 'the token of the accept link' },
    async handler({ deps, em, body }) {
      const invitation = await findOpenInvitation(em, body.token, deps.clock.now());
      const [workspace, inviter, accounts] = await Promise.all([
        em.findOneOrFail(WorkspaceSchema, { id: invitation.workspaceId }),
        invitation.invitedBy ? em.findOne(UserSchema, { id: invitation.invitedBy }) : null,
        em.count(UserSchema, { email: invitation.email }),
      ]);
      return {
        email: invitation.email,
        role: invitation.role,
        workspaceName: workspace.name,
        inviterName: inviter?.name ?? null,
        expiresAt: invitation.expiresAt.toISOString(),
        hasAccount: accounts > 0,
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/invitations/accept',
    summary:
      'Accept an invitation. Logged in (session cookie or Bearer token) with the invited email: joins the workspace. Not logged in: creates the account (name and password) and joins. Answers a session in the workspace.',
    tag: 'invitations',
    auth: 'public',
    body: z.object({ token: Token, name: PersonName.optional(), password: Password.optional() }),
    response: SessionResponse,
    exampleBody: { token: 'the token of the accept link', name: 'Sam Agent', password: 'a long password' },
    async handler({ deps, em, body, req, res }) {
      // Public, so that someone without an account can accept; a session, when presented, must be valid.
      const credential = credentialOf(req);
      let acceptor: Acceptor = { kind: 'new_account', name: body.name, password: body.password };
      if (credential) {
        // A cookie that no longer authenticates (expired, logged out elsewhere) is no session: the
        // person may be creating their account. A Bearer header is explicit and must be valid.
        const auth = await authenticate({ tokens: deps.tokens, cache: deps.authCache, em: () => em }, credential).catch((err: unknown) => {
          if (credential.via === 'cookie' && err instanceof UnauthenticatedError) return null;
          throw err;
        });
        if (auth) {
          if (!auth.userId) throw new UnauthenticatedError('an API key cannot accept an invitation: log in as the invited person');
          acceptor = { kind: 'user', userId: auth.userId };
        }
      }
      const accepted = await acceptInvitation(em, { token: body.token, acceptor, now: deps.clock.now(), ip: req.ip });
      return openSession(deps, req, res, accepted.user, accepted.workspace, accepted.role);
    },
  }),
];
