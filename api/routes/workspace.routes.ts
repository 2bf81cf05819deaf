import { z } from 'zod';
import { audit } from '../../platform/audit/audit-log.ts';
import { WorkspaceSchema } from '../../platform/db/entities/workspace.entity.ts';
import { toWorkspaceDto, WorkspaceDto } from '../dto/workspace.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';
import { privacyOf } from './retention.routes.ts';

/** An IANA time zone name that this runtime knows. */
export const TimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Europe/Paris' },
);

export const workspaceRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/workspace',
    summary: 'The current workspace',
    tag: 'workspace',
    auth: 'workspace.read',
    response: WorkspaceDto,
    async handler({ em, auth }) {
      return toWorkspaceDto(await em.findOneOrFail(WorkspaceSchema, { id: auth.workspaceId }));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/workspace',
    summary: 'Rename the workspace or change its time zone',
    tag: 'workspace',
    auth: 'workspace.manage',
    body: z.object({ name: z.string().trim().min(1).max(200).optional(), timezone: TimeZone.optional() }).strict(),
    response: WorkspaceDto,
    exampleBody: { name: 'Renamed', timezone: 'Europe/Paris' },
    async handler({ deps, em, auth, body, req }) {
      const workspace = await em.findOneOrFail(WorkspaceSchema, { id: auth.workspaceId });
      em.assign(workspace, body);
      audit(em, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'workspace.updated', target: { kind: 'workspace', id: workspace.id }, details: { fields: Object.keys(body) }, ip: req.ip });
      await em.flush();
      // The retention sweep's cron is read in the workspace's time zone.
      if (body.timezone) await privacyOf(deps).syncSchedule(workspace.id);
      return toWorkspaceDto(workspace);
    },
  }),
];
