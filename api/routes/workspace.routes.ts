import { z } from 'zod';
import { WeeklyHoursSchema } from '../../engine/flows/nodes/business-hours.node.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { WorkspaceSchema } from '../../platform/db/entities/workspace.entity.ts';
import { toWorkspaceSettingsDto, WorkspaceSettingsDto } from '../dto/workspace.dto.ts';
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
    response: WorkspaceSettingsDto,
    async handler({ em, auth }) {
      return toWorkspaceSettingsDto(await em.findOneOrFail(WorkspaceSchema, { id: auth.workspaceId }));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/workspace',
    summary:
      'Rename the workspace, change its time zone or its business hours (read by Business hours nodes without hours of their own and by Delay until business hours open)',
    tag: 'workspace',
    auth: 'workspace.manage',
    body: z
      .object({
        name: z.string().trim().min(1).max(200).optional(),
        timezone: TimeZone.optional(),
        businessHours: WeeklyHoursSchema.optional(),
      })
      .strict(),
    response: WorkspaceSettingsDto,
    exampleBody: {
      name: 'Renamed',
      timezone: 'Europe/Paris',
      businessHours: {
        monday: [
          { from: '09:00', to: '12:00' },
          { from: '14:00', to: '18:00' },
        ],
      },
    },
    async handler({ deps, em, auth, body, req }) {
      const workspace = await em.findOneOrFail(WorkspaceSchema, { id: auth.workspaceId });
      em.assign(workspace, body);
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'workspace.updated',
        target: { kind: 'workspace', id: workspace.id },
        details: { fields: Object.keys(body) },
        ip: req.ip,
      });
      await em.flush();
      // The retention sweep's cron is read in the workspace's time zone.
      if (body.timezone) await privacyOf(deps).syncSchedule(workspace.id);
      return toWorkspaceSettingsDto(workspace);
    },
  }),
];
