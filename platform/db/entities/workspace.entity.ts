import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { WeeklyHours } from '../../../engine/flows/nodes/business-hours.node.ts';

export const WorkspaceSchema = defineEntity({
  name: 'Workspace',
  tableName: 'workspaces',
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    timezone: p.text().default('UTC'),
    plan: p.text().default('free'),
    settings: p.json<Record<string, unknown>>().default('{}'),
    /** Weekly opening hours in the workspace's time zone; null: DEFAULT_BUSINESS_HOURS. */
    businessHours: p.json<WeeklyHours>().nullable(),
    isDemo: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Workspace = InferEntity<typeof WorkspaceSchema>;
