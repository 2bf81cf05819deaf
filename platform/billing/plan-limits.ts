import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ENTITLEMENT_LABELS, type Plan } from '../../engine/billing/plans.ts';
import { PlanLimitReachedError } from '../../engine/errors/plan-limit-reached.error.ts';
import { RetentionOverPlanError } from '../../engine/errors/retention-over-plan.error.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** Entitlements that count things a workspace adds one at a time. */
export type CountedEntitlement = 'numbers' | 'seats' | 'activeFlows';

/** How many of each a workspace has now. Seats are members plus invitations still open (each holds a seat until it ends). */
const COUNT_SQL: Record<CountedEntitlement, string> = {
  numbers: `select count(*)::int as n from channels where workspace_id = :workspaceId and kind = 'whatsapp' and deleted_at is null`,
  seats: `select ((select count(*) from memberships where workspace_id = :workspaceId)
                + (select count(*) from invitations where workspace_id = :workspaceId and accepted_at is null and revoked_at is null and expires_at > now()))::int as n`,
  activeFlows: `select count(*)::int as n from flows where workspace_id = :workspaceId and active and deleted_at is null`,
};
const CountRow = z.object({ n: z.number() });

/** How many of `entitlement` the workspace has. */
export async function countUsed(em: EntityManager, workspaceId: string, entitlement: CountedEntitlement): Promise<number> {
  return (await runSql(em, COUNT_SQL[entitlement], { workspaceId }, { row: CountRow })).rows[0]?.n ?? 0;
}

/**
 * Refuses to add one more of `entitlement` when the plan's limit is reached (PlanLimitReachedError,
 * naming the plan and the limit). Call it inside the transaction that adds it: a transaction-scoped
 * advisory lock per workspace and entitlement makes two concurrent additions take turns, so the
 * second one counts the first.
 */
export async function assertCanAdd(em: EntityManager, workspaceId: string, plan: Plan, entitlement: CountedEntitlement): Promise<void> {
  const limit = plan.entitlements[entitlement];
  if (limit === null) return;
  await runSql(em, `select pg_advisory_xact_lock(hashtextextended(:key, 0))`, { key: `plan-limit:${workspaceId}:${entitlement}` });
  const used = await countUsed(em, workspaceId, entitlement);
  if (used + 1 > limit)
    throw new PlanLimitReachedError(workspaceId, { entitlement, label: ENTITLEMENT_LABELS[entitlement], planName: plan.name, limit, used });
}

/** The retention kinds that hold message history, which the plan's `retentionDays` caps. */
export const MESSAGE_HISTORY_KINDS = ['message_content', 'media_files'] as const;

/**
 * Refuses a retention period of message history longer than the plan keeps it (`null`, keep for
 * ever, included), for the kinds being changed only. Checked when an admin changes the policy;
 * it never deletes anything by itself (a downgrade keeps the data until the policy is changed).
 */
export function assertRetentionWithinPlan(
  workspaceId: string,
  plan: Plan,
  changed: Partial<Record<string, number | null>>,
  labels: Record<string, string>,
): void {
  const maxDays = plan.entitlements.retentionDays;
  if (maxDays === null) return;
  for (const kind of MESSAGE_HISTORY_KINDS) {
    if (!(kind in changed)) continue;
    const asked = changed[kind] ?? null;
    if (asked === null || asked > maxDays)
      throw new RetentionOverPlanError(workspaceId, { kind, label: labels[kind] ?? kind, planName: plan.name, maxDays, asked });
  }
}
