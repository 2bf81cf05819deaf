import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { RETENTION_KINDS, type RetentionKind, type RetentionPolicy } from '../../engine/retention/retention-policy.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

export const SWEEP_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];
export const SWEEP_TRIGGERS = ['schedule', 'api', 'cli'] as const;
export type SweepTrigger = (typeof SWEEP_TRIGGERS)[number];
/** A kind's state in a sweep: `kept` (no period set), `skipped` (a workspace hold), `pending`, `running`, `done`. */
const KIND_STATUSES = ['kept', 'skipped', 'pending', 'running', 'done'] as const;
export type KindStatus = (typeof KIND_STATUSES)[number];

const RetentionKindKey = z.enum(RETENTION_KINDS);

const KindProgressSchema = z.object({
  status: z.enum(KIND_STATUSES),
  /** What the sweep found to delete when it began (a dry run stops there). */
  total: z.number(),
  totalBytes: z.number(),
  deleted: z.number(),
  bytes: z.number(),
  files: z.number(),
  /** Where the next batch starts (see SweepCursor); absent before the first batch. */
  cursor: z.record(z.string(), z.string()).optional(),
});
export type KindProgress = z.infer<typeof KindProgressSchema>;

/** A row of retention_sweeps (COLUMNS); policy, cutoffs and progress are its jsonb columns as insertSweep writes them. */
const SweepRowSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  status: z.enum(SWEEP_STATUSES),
  dryRun: z.boolean(),
  trigger: z.enum(SWEEP_TRIGGERS),
  requestedBy: z.string().nullable(),
  policy: z.record(RetentionKindKey, z.number().nullable()),
  cutoffs: z.partialRecord(RetentionKindKey, z.string().nullable()),
  progress: z.partialRecord(RetentionKindKey, KindProgressSchema),
  leaseOwner: z.string().nullable(),
  leaseUntil: z.date().nullable(),
  error: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});
export type SweepRow = z.infer<typeof SweepRowSchema>;

const COLUMNS = `id, workspace_id as "workspaceId", status, dry_run as "dryRun", trigger, requested_by as "requestedBy", policy, cutoffs, progress,
  lease_owner as "leaseOwner", lease_until as "leaseUntil", error, created_at as "createdAt", started_at as "startedAt", finished_at as "finishedAt"`;

/** The kinds a sweep visits, in order (children before parents, contacts last). */
export const SWEEP_ORDER: readonly RetentionKind[] = RETENTION_KINDS;

/**
 * Creates a queued sweep with its cutoffs fixed now, or returns null when the workspace already
 * has one queued or running (the unique index decides, not a read).
 */
export async function insertSweep(
  em: EntityManager,
  s: {
    id: string;
    workspaceId: string;
    dryRun: boolean;
    trigger: SweepTrigger;
    requestedBy: string | null;
    policy: RetentionPolicy;
    now: Date;
  },
): Promise<SweepRow | null> {
  const cutoffs: Partial<Record<RetentionKind, string | null>> = {};
  const progress: Partial<Record<RetentionKind, KindProgress>> = {};
  for (const kind of SWEEP_ORDER) {
    const days = s.policy[kind];
    cutoffs[kind] = days === null ? null : new Date(s.now.getTime() - days * 86_400_000).toISOString();
    progress[kind] = { status: days === null ? 'kept' : 'pending', total: 0, totalBytes: 0, deleted: 0, bytes: 0, files: 0 };
  }
  const rows = (
    await runSql(
      em,
      `insert into retention_sweeps (id, workspace_id, status, dry_run, trigger, requested_by, policy, cutoffs, progress, created_at)
       values (:id, :workspaceId, 'queued', :dryRun, :trigger, cast(:requestedBy as uuid), cast(:policy as jsonb), cast(:cutoffs as jsonb), cast(:progress as jsonb), :now)
       on conflict (workspace_id) where status in ('queued', 'running') do nothing
       returning ${COLUMNS}`,
      {
        id: s.id,
        workspaceId: s.workspaceId,
        dryRun: s.dryRun,
        trigger: s.trigger,
        requestedBy: s.requestedBy,
        policy: JSON.stringify(s.policy),
        cutoffs: JSON.stringify(cutoffs),
        progress: JSON.stringify(progress),
        now: s.now,
      },
      { row: SweepRowSchema },
    )
  ).rows;
  return rows[0] ?? null;
}

export async function findSweep(em: EntityManager, workspaceId: string, id: string): Promise<SweepRow | null> {
  return (
    (
      await runSql(
        em,
        `select ${COLUMNS} from retention_sweeps where workspace_id = :workspaceId and id = :id`,
        { workspaceId, id },
        { row: SweepRowSchema },
      )
    ).rows[0] ?? null
  );
}

export async function findActiveSweep(em: EntityManager, workspaceId: string): Promise<SweepRow | null> {
  return (
    (
      await runSql(
        em,
        `select ${COLUMNS} from retention_sweeps where workspace_id = :workspaceId and status in ('queued', 'running')`,
        { workspaceId },
        { row: SweepRowSchema },
      )
    ).rows[0] ?? null
  );
}

export async function listSweeps(em: EntityManager, workspaceId: string, limit: number): Promise<SweepRow[]> {
  return (
    await runSql(
      em,
      `select ${COLUMNS} from retention_sweeps where workspace_id = :workspaceId order by created_at desc limit :limit`,
      { workspaceId, limit },
      { row: SweepRowSchema },
    )
  ).rows;
}

/**
 * Takes the sweep's lease for `owner` when it is free, expired, or already its own; the sweep
 * must be queued or running. Null: another runner holds it, or it has ended.
 */
export async function claimSweep(em: EntityManager, id: string, owner: string, leaseMs: number): Promise<SweepRow | null> {
  return (
    (
      await runSql(
        em,
        `update retention_sweeps set status = 'running', lease_owner = :owner, lease_until = clock_timestamp() + make_interval(secs => :leaseSeconds),
                started_at = coalesce(started_at, clock_timestamp())
          where id = :id and status in ('queued', 'running') and (lease_owner is null or lease_owner = :owner or lease_until < clock_timestamp())
          returning ${COLUMNS}`,
        { id, owner, leaseSeconds: leaseMs / 1000 },
        { row: SweepRowSchema },
      )
    ).rows[0] ?? null
  );
}

/**
 * Writes a kind's progress and renews the lease, in the batch's transaction: false when the lease
 * is no longer this runner's (the caller rolls the batch back).
 */
export async function writeProgress(
  em: EntityManager,
  id: string,
  owner: string,
  leaseMs: number,
  kind: RetentionKind,
  progress: KindProgress,
): Promise<boolean> {
  const res = await runSql(
    em,
    `update retention_sweeps set progress = jsonb_set(progress, cast(:path as text[]), cast(:value as jsonb)), lease_until = clock_timestamp() + make_interval(secs => :leaseSeconds)
      where id = :id and lease_owner = :owner and status = 'running'`,
    { id, owner, leaseSeconds: leaseMs / 1000, path: [kind], value: JSON.stringify(progress) },
  );
  return res.rowCount === 1;
}

export async function finishSweep(
  em: EntityManager,
  id: string,
  owner: string,
  outcome: { status: 'completed' | 'failed'; error?: string },
): Promise<boolean> {
  const res = await runSql(
    em,
    `update retention_sweeps set status = :status, error = cast(:error as text), finished_at = clock_timestamp(), lease_owner = null, lease_until = null
      where id = :id and lease_owner = :owner and status = 'running'`,
    { id, owner, status: outcome.status, error: outcome.error ?? null },
  );
  return res.rowCount === 1;
}

/** Gives the lease back (a failed attempt that will be retried): the next runner need not wait for it to expire. */
export async function releaseSweep(em: EntityManager, id: string, owner: string): Promise<void> {
  await runSql(em, `update retention_sweeps set lease_owner = null, lease_until = null where id = :id and lease_owner = :owner`, {
    id,
    owner,
  });
}
