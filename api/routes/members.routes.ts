import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { ROLES } from '../../engine/tenancy/role.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { hashPassword } from '../../platform/crypto/password.ts';
import { MembershipSchema, type Membership } from '../../platform/db/entities/membership.entity.ts';
import { UserSchema, type User } from '../../platform/db/entities/user.entity.ts';
import { newId } from '../../platform/ids.ts';
import { defineRoute } from '../route.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { actorOf } from './actor.ts';
import { endEverySession } from '../auth/session-revocation.ts';

const MemberDto = z.object({ id: z.uuid(), userId: z.uuid(), email: z.string(), name: z.string(), role: z.enum(ROLES), createdAt: z.string() });
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
    summary: 'Add a member: an existing account by email, or a new account with a password',
    tag: 'members',
    auth: 'members.manage',
    status: 201,
    body: z.object({ email: z.email().max(254).transform((e) => e.toLowerCase()), role: z.enum(ROLES), name: z.string().trim().min(1).max(200).optional(), password: z.string().min(8).max(200).optional() }),
    response: MemberDto,
    exampleBody: { email: 'agent@example.com', role: 'agent', name: 'An Agent', password: 'a long password' },
    async handler({ deps, em, auth, body, req }) {
      if (body.role === 'owner' && auth.role !== 'owner') throw new ValidationError('only an owner can add another owner');
      const existing = await em.findOne(UserSchema, { email: body.email });
      if (existing && (await em.count(MembershipSchema, { workspaceId: auth.workspaceId, userId: existing.id }))) throw new ConflictError('this account is already a member');
      if (!existing && (!body.password || !body.name)) throw new ValidationError('no account has this email: give a name and a password to create one', { details: [{ path: 'password', message: 'required for a new account' }] });
      const now = deps.clock.now();
      const passwordHash = existing ? null : await hashPassword(body.password!);
      const { user, membership } = await em.transactional(async (tx) => {
        const user = existing ?? tx.create(UserSchema, { id: newId(), email: body.email, name: body.name!, passwordHash: passwordHash!, createdAt: now, updatedAt: now });
        // The user row goes first: entities hold ids, not relations, so the unit of work does
        // not order inserts by foreign key.
        await tx.flush();
        const membership = tx.create(MembershipSchema, { id: newId(), workspaceId: auth.workspaceId, userId: user.id, role: body.role, createdAt: now });
        audit(tx, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'member.added', target: { kind: 'membership', id: membership.id }, details: { role: body.role }, ip: req.ip });
        return { user, membership };
      });
      return toMemberDto(membership, user);
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/members/:id',
    summary: "Change a member's role",
    tag: 'members',
    auth: 'members.manage',
    params: IdParams,
    body: z.object({ role: z.enum(ROLES) }),
    response: MemberDto,
    exampleBody: { role: 'marketer' },
    async handler({ em, auth, params, body, req }) {
      const m = await findMember(em, auth.workspaceId, params.id);
      if ((body.role === 'owner' || m.role === 'owner') && auth.role !== 'owner') throw new ValidationError('only an owner can grant or take away the owner role');
      if (body.role !== 'owner') await assertNotLastOwner(em, m);
      m.role = body.role;
      audit(em, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'member.role_changed', target: { kind: 'membership', id: m.id }, details: { role: body.role }, ip: req.ip });
      await em.flush();
      return toMemberDto(m, await em.findOneOrFail(UserSchema, { id: m.userId }));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/members/:id',
    summary: 'Remove a member from the workspace (their account stays)',
    tag: 'members',
    auth: 'members.manage',
    params: IdParams,
    async handler({ em, auth, params, req }) {
      const m = await findMember(em, auth.workspaceId, params.id);
      if (m.role === 'owner' && auth.role !== 'owner') throw new ValidationError('only an owner can remove an owner');
      await assertNotLastOwner(em, m);
      em.remove(m);
      audit(em, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'member.removed', target: { kind: 'membership', id: m.id }, ip: req.ip });
      await em.flush();
      // Their sessions end everywhere, so a token kept from before cannot come back if they are added again.
      await endEverySession(em, m.userId);
      return undefined;
    },
  }),
];
