import { z } from 'zod';
import { audit } from '../../platform/audit/audit-log.ts';
import { WorkspaceSecrets } from '../../platform/secrets/workspace-secrets.ts';
import { SecretDto, SecretNameInput, SecretValueInput, toSecretDto } from '../dto/secret.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });

/*
 * Workspace secrets: values that HTTP request nodes send as `{{secrets.NAME}}`. A value goes in
 * once (create or replace) and never comes out of the API: lists show the name and its last 4
 * characters. Audit entries name the secret, never its value. Marketers may list names (they
 * pick one in the editor) but only owners and admins create, replace or delete.
 */
export const secretRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/secrets',
    summary: 'Secrets of the workspace: names and the last 4 characters of each value, never the values',
    tag: 'secrets',
    auth: 'secrets.read',
    response: z.object({ items: z.array(SecretDto) }),
    async handler({ deps, em, auth }) {
      const secrets = await new WorkspaceSecrets(deps.config.secretKey).list(em, auth.workspaceId);
      return { items: secrets.map(toSecretDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/secrets',
    summary: 'Create a secret (409 secret_name_taken when the name exists: replace its value instead); flows name it as {{secrets.NAME}}',
    tag: 'secrets',
    auth: 'secrets.manage',
    status: 201,
    body: z.strictObject({ name: SecretNameInput, value: SecretValueInput }),
    response: SecretDto,
    exampleBody: { name: 'CRM_API_KEY', value: 'example-value-1234' },
    async handler({ deps, em, auth, body, req }) {
      const secret = await em.transactional(async (tx) => {
        const created = await new WorkspaceSecrets(deps.config.secretKey).create(tx, auth.workspaceId, {
          name: body.name,
          value: body.value,
          createdBy: auth.userId,
        });
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'secret.created',
          target: { kind: 'secret', id: created.id },
          details: { name: created.name },
          ip: req.ip,
        });
        return created;
      });
      return toSecretDto(secret);
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/secrets/:id',
    summary: "Replace a secret's value (rotation): flows naming it use the new value from their next step",
    tag: 'secrets',
    auth: 'secrets.manage',
    params: IdParams,
    body: z.strictObject({ value: SecretValueInput }),
    response: SecretDto,
    exampleBody: { value: 'rotated-value-5678' },
    async handler({ deps, em, auth, params, body, req }) {
      const secret = await em.transactional(async (tx) => {
        const replaced = await new WorkspaceSecrets(deps.config.secretKey).replace(
          tx,
          auth.workspaceId,
          params.id,
          body.value,
          deps.clock.now(),
        );
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'secret.replaced',
          target: { kind: 'secret', id: replaced.id },
          details: { name: replaced.name },
          ip: req.ip,
        });
        return replaced;
      });
      return toSecretDto(secret);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/secrets/:id',
    summary: 'Delete a secret; 409 secret_in_use lists the active flows whose published version names it',
    tag: 'secrets',
    auth: 'secrets.manage',
    params: IdParams,
    async handler({ deps, em, auth, params, req }) {
      await em.transactional(async (tx) => {
        const deleted = await new WorkspaceSecrets(deps.config.secretKey).delete(tx, auth.workspaceId, params.id);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'secret.deleted',
          target: { kind: 'secret', id: deleted.id },
          details: { name: deleted.name },
          ip: req.ip,
        });
      });
      return undefined;
    },
  }),
];
