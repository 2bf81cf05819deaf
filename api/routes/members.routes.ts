import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { GoneError } from '../../engine/errors/gone.error.ts';
import { ROLES } from '../../engine/tenancy/role.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { MembershipSchema, type Membership } from '../../platform/db/entities/membership.entity.ts';
import { UserSchema, type User } from '../../platform/db/entities/user.entity.ts';
import { MemberDto } from '../dto/member.dto.ts';
import { defineRoute } from '../route.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { actorOf } from './actor.ts';
import { endEverySession } from '../auth/session-revocation.ts';

const IdParams = z.object({ id: z.uuid() });

function toMemberDto(m: Membership, u: User): z.infer<typeof MemberDto> {
  return { id: m.id, userId: u.id, email: u.email, name: u.name, role: m.role, createdAt: m.createdAt.toISOString() };
}

async function findMember(em: EntityManager, workspaceId: string, id: string): Promise<Membership> {
  const m = await em.findOne(MembershipSchema, { id, workspaceId });
  if (!m) throw new NotFoundError('member', id);
  return m;
}

/** A workspace always keeps at least one owner. */
async function assertNotLastOwner(em: EntityManager, m: Membership): Promise<void> {
  if (m.role !== 'owner') return;
  const owners = await em.count(MembershipSchema, { workspaceId: m.workspaceId, role: 'owner' });
  if (owners <= 1) throw new ConflictError('a workspace needs at least one owner; make another member owner first');
}

export const memberRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/members',
    summary: 'Members of the workspace',
    tag: 'members',
    auth: 'workspace.read',
    response: z.object({ items: z.array(MemberDto) }),
    async handler({ em, auth }) {
      const memberships = await em.find(MembershipSchema, { workspaceId: auth.workspaceId }, { orderBy: { createdAt: 'asc' } });
      const users = new Map((await em.find(UserSchema, { id: { $in: memberships.map((m) => m.userId) } })).map((u) => [u.id, u]));
      return { items: memberships.flatMap((m) => (users.has(m.userId) ? [toMemberDto(m, users.get(m.userId)!)] : [])) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/members',
    summary: 'Withdrawn (410): invite people with POST /api/v1/invitations instead',
    tag: 'members',
    auth: 'members.manage',
    // Kept as an explicit 410 rather than removed: a script written against the old route gets
    // the way forward instead of a bare "no such route". It creates nothing: a workspace never
    // creates an account, sets a password or adds someone without their consent (issue 13).
    async handler() {
      throw new GoneError(
        'workspaces no longer create accounts or add them directly: invite the person with POST /api/v1/invitations {email, role}; they accept from the link',
      );
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/members/:id',
    endsCredentials: true,
    summary: "Change a member's role",
    tag: 'members',
    auth: 'members.manage',
    params: IdParams,
    body: z.object({ role: z.enum(ROLES) }),
    response: MemberDto,
    exampleBody: { role: 'marketer' },
    async handler({ em, auth, params, body, req }) {
      const m = await findMember(em, auth.workspaceId, params.id);
      if ((body.role === 'owner' || m.role === 'owner') && auth.role !== 'owner')
        throw new ValidationError('only an owner can grant or take away the owner role');
      if (body.role !== 'owner') await assertNotLastOwner(em, m);
      m.role = body.role;
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'member.role_changed',
        target: { kind: 'membership', id: m.id },
        details: { role: body.role },
        ip: req.ip,
      });
      await em.flush();
      return toMemberDto(m, await em.findOneOrFail(UserSchema, { id: m.userId }));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/members/:id',
    endsCredentials: true,
    summary: 'Remove a member from the workspace (their account stays)',
    tag: 'members',
    auth: 'members.manage',
    params: IdParams,
    async handler({ em, auth, params, req }) {
      const m = await findMember(em, auth.workspaceId, params.id);
      if (m.role === 'owner' && auth.role !== 'owner') throw new ValidationError('only an owner can remove an owner');
      await assertNotLastOwner(em, m);
      em.remove(m);
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'member.removed',
        target: { kind: 'membership', id: m.id },
        ip: req.ip,
      });
      await em.flush();
      // Their sessions end everywhere, so a token kept from before cannot come back if they are added again.
      await endEverySession(em, m.userId);
      return undefined;
    },
  }),
];
