import { z } from 'zod';
import type { Workspace } from '../../platform/db/entities/workspace.entity.ts';

export const WorkspaceDto = z.object({ id: z.uuid(), name: z.string(), timezone: z.string(), plan: z.string(), createdAt: z.string() });

export function toWorkspaceDto(w: Workspace): z.infer<typeof WorkspaceDto> {
  return { id: w.id, name: w.name, timezone: w.timezone, plan: w.plan, createdAt: w.createdAt.toISOString() };
}
