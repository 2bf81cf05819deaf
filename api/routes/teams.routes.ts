import { z } from 'zod';
import { audit } from '../../platform/audit/audit-log.ts';
import { teamStore, type Team } from '../../platform/inbox/team-store.ts';
import { TeamCreateBody, TeamDto, TeamMemberInput, TeamPatchBody } from '../dto/team.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });

function toTeamDto(t: Team): TeamDto {
  return { ...t, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() };
}

/*
 * Support teams: who works a queue, how it is assigned (round robin, least busy, manual), the
 * capacity of each agent, sticky contacts, the hand-off timeout and the auto-resolve. Everyone
 * in the workspace may read them (agents see their teams' names); owners and admins manage them.
 * A change that may let a queue move (members, capacity, strategy) kicks the team's assigner.
 */
export const teamRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/teams',
    summary: 'Support teams with their members, strategy and settings',
    tag: 'teams',
    auth: 'conversations.read',
    response: z.object({ items: z.array(TeamDto) }),
    async handler({ em, auth }) {
      return { items: (await teamStore.list(em, auth.workspaceId)).map(toTeamDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/teams',
    summary: 'Create a team (members must be members of the workspace; 409 when the name exists)',
    tag: 'teams',
    auth: 'teams.manage',
    status: 201,
    body: TeamCreateBody,
    response: TeamDto,
    exampleBody: { name: 'Support', strategy: 'round_robin', defaultCapacity: 5, isDefault: true },
    async handler({ deps, em, auth, body, req }) {
      const { members, ...settings } = body;
      const id = await em.transactional(async (tx) => {
        const created = await teamStore.create(tx, auth.workspaceId, settings, members, deps.clock.now());
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'team.created',
          target: { kind: 'team', id: created },
          details: { members: members.length },
          ip: req.ip,
        });
        return created;
      });
      await deps.inbox.kick([id]);
      return toTeamDto(await teamStore.get(em, auth.workspaceId, id));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/teams/:id',
    summary: 'One team',
    tag: 'teams',
    auth: 'conversations.read',
    params: IdParams,
    response: TeamDto,
    async handler({ em, auth, params }) {
      return toTeamDto(await teamStore.get(em, auth.workspaceId, params.id));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/teams/:id',
    summary: "Change a team's name, strategy, capacity, default flag, hand-off timeout or auto-resolve",
    tag: 'teams',
    auth: 'teams.manage',
    params: IdParams,
    body: TeamPatchBody,
    response: TeamDto,
    exampleBody: { strategy: 'least_busy' },
    async handler({ deps, em, auth, params, body, req }) {
      await em.transactional(async (tx) => {
        await teamStore.update(tx, auth.workspaceId, params.id, body, deps.clock.now());
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'team.updated',
          target: { kind: 'team', id: params.id },
          details: { fields: Object.keys(body) },
          ip: req.ip,
        });
      });
      await deps.inbox.kick([params.id]);
      return toTeamDto(await teamStore.get(em, auth.workspaceId, params.id));
    },
  }),
  defineRoute({
    method: 'put',
    path: '/v1/teams/:id/members',
    summary: "Replace a team's members, each with an optional capacity (the team's default otherwise)",
    tag: 'teams',
    auth: 'teams.manage',
    params: IdParams,
    body: z.strictObject({ members: z.array(TeamMemberInput).max(500) }),
    response: TeamDto,
    exampleBody: { members: [{ userId: '00000000-0000-4000-8000-000000000000', capacity: 3 }] },
    async handler({ deps, em, auth, params, body, req }) {
      await em.transactional(async (tx) => {
        await teamStore.get(tx, auth.workspaceId, params.id);
        await teamStore.setMembers(tx, auth.workspaceId, params.id, body.members);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'team.members_set',
          target: { kind: 'team', id: params.id },
          details: { members: body.members.length },
          ip: req.ip,
        });
      });
      await deps.inbox.kick([params.id]);
      return toTeamDto(await teamStore.get(em, auth.workspaceId, params.id));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/teams/:id',
    summary: 'Delete a team (409 while it has open conversations: transfer or resolve them first); its routing rules go with it',
    tag: 'teams',
    auth: 'teams.manage',
    params: IdParams,
    async handler({ em, auth, params, req }) {
      await em.transactional(async (tx) => {
        const team = await teamStore.delete(tx, auth.workspaceId, params.id);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'team.deleted',
          target: { kind: 'team', id: team.id },
          ip: req.ip,
        });
      });
      return undefined;
    },
  }),
];
