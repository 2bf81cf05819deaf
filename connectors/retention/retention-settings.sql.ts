import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { resolvePolicy, type RetentionPolicy } from '../../engine/retention/retention-policy.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/** Nightly at 03:00 in the workspace's time zone. */
export const DEFAULT_SWEEP_CRON = '0 3 * * *';

export interface RetentionSettings {
  policy: RetentionPolicy;
  /** Five-field cron, read in `timezone` (the workspace's). */
  scheduleCron: string;
  timezone: string;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The workspace with its saved settings, if any (left join: every settings column may be null). */
const StoredSettingsRow = z.object({
  policy: z.unknown(),
  scheduleCron: z.string().nullable(),
  timezone: z.string(),
  updatedAt: z.date().nullable(),
  updatedBy: z.string().nullable(),
});

/** A workspace's retention settings (defaults when it never saved any); null for an unknown workspace. */
export async function loadSettings(em: EntityManager, workspaceId: string): Promise<RetentionSettings | null> {
  const row = (
    await runSql(
      em,
      `select s.policy, s.schedule_cron as "scheduleCron", w.timezone, s.updated_at as "updatedAt", s.updated_by as "updatedBy"
         from workspaces w left join retention_settings s on s.workspace_id = w.id where w.id = :workspaceId`,
      { workspaceId },
      { row: StoredSettingsRow },
    )
  ).rows[0];
  if (!row) return null;
  return {
    policy: resolvePolicy(row.policy),
    scheduleCron: row.scheduleCron ?? DEFAULT_SWEEP_CRON,
    timezone: row.timezone,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

export async function saveSettings(
  em: EntityManager,
  workspaceId: string,
  s: { policy: RetentionPolicy; scheduleCron: string; updatedBy: string | null; now: Date },
): Promise<void> {
  await runSql(
    em,
    `insert into retention_settings (workspace_id, policy, schedule_cron, updated_by, updated_at) values (:workspaceId, cast(:policy as jsonb), :cron, cast(:updatedBy as uuid), :now)
     on conflict (workspace_id) do update set policy = excluded.policy, schedule_cron = excluded.schedule_cron, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
    { workspaceId, policy: JSON.stringify(s.policy), cron: s.scheduleCron, updatedBy: s.updatedBy, now: s.now },
  );
}
