import { z } from 'zod';
import { DEFAULT_BUSINESS_HOURS, WeeklyHoursSchema } from '../../engine/flows/nodes/business-hours.node.ts';
import type { Workspace } from '../../platform/db/entities/workspace.entity.ts';

export const WorkspaceDto = z.object({ id: z.uuid(), name: z.string(), timezone: z.string(), plan: z.string(), createdAt: z.string() });

/** The workspace with its settings, as GET/PATCH /workspace answer it. */
export const WorkspaceSettingsDto = WorkspaceDto.extend({
  /** Weekly opening hours in `timezone` (the default, Monday to Friday 09:00–17:00, until set). */
  businessHours: WeeklyHoursSchema,
});

export function toWorkspaceDto(w: Workspace): z.infer<typeof WorkspaceDto> {
  return { id: w.id, name: w.name, timezone: w.timezone, plan: w.plan, createdAt: w.createdAt.toISOString() };
}

export function toWorkspaceSettingsDto(w: Workspace): z.infer<typeof WorkspaceSettingsDto> {
  return { ...toWorkspaceDto(w), businessHours: w.businessHours ?? DEFAULT_BUSINESS_HOURS };
}
