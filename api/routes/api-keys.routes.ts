import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { ROLES } from '../../engine/tenancy/role.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { ApiKeySchema } from '../../platform/db/entities/api-key.entity.ts';
import { newId } from '../../platform/ids.ts';
import { generateApiKey } from '../auth/api-key-secret.ts';
import { ApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from '../dto/api-key.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const ROLE_RANK = { owner: 0, admin: 1, marketer: 2, agent: 3 } as const;

export const apiKeyRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/api-keys',
    summary: 'API keys of the workspace (never the secrets)',
    tag: 'api-keys',
    auth: 'api_keys.manage',
    response: z.object({ items: z.array(ApiKeyDto) }),
    async handler({ em, auth }) {
      const keys = await em.find(ApiKeySchema, { workspaceId: auth.workspaceId, revokedAt: null }, { orderBy: { createdAt: 'asc' } });
      return { items: keys.map(toApiKeyDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/api-keys',
    summary: 'Create an API key; the secret is in this response only',
    tag: 'api-keys',
    auth: 'api_keys.manage',
    status: 201,
    body: z.object({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES).default('admin') }),
    response: CreatedApiKeyDto,
    exampleBody: { name: 'CRM sync', role: 'marketer' },
    async handler({ deps, em, auth, body, req }) {
      // A key can never hold more power than the member who makes it.
      if (ROLE_RANK[body.role] < ROLE_RANK[auth.role])
        throw new ValidationError(`you cannot create a key with more rights than your own role (${auth.role})`);
      const { secret, hash, prefix } = generateApiKey();
      const key = em.create(ApiKeySchema, {
        id: newId(),
        workspaceId: auth.workspaceId,
        name: body.name,
        prefix,
        keyHash: hash,
        role: body.role,
        createdBy: auth.userId,
        createdAt: deps.clock.now(),
      });
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'api_key.created',
        target: { kind: 'api_key', id: key.id },
        details: { role: body.role },
        ip: req.ip,
      });
      await em.flush();
      return { ...toApiKeyDto(key), secret };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/api-keys/:id',
    endsCredentials: true,
    summary: 'Revoke an API key',
    tag: 'api-keys',
    auth: 'api_keys.manage',
    params: z.object({ id: z.uuid() }),
    async handler({ deps, em, auth, params, req }) {
      const key = await em.findOne(ApiKeySchema, { id: params.id, workspaceId: auth.workspaceId, revokedAt: null });
      if (!key) throw new NotFoundError('api key', params.id);
      key.revokedAt = deps.clock.now();
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'api_key.revoked',
        target: { kind: 'api_key', id: key.id },
        ip: req.ip,
      });
      await em.flush();
      return undefined;
    },
  }),
];
