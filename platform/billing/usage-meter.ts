import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ENTITLEMENT_LABELS, FREE_PLAN_ID, type Plan } from '../../engine/billing/plans.ts';
import { crossedThresholds } from '../../engine/billing/usage-thresholds.ts';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';

/*
 * Metering of outbound messages, counted by the statement that records them in the outbox (no
 * statement of its own, so no extra round trip per message or per batch). Two countings, by
 * whether anything can be refused:
 *
 * - Billing on (plan limits): `metered` updates the workspace's usage row under its lock and
 *   grants at most what the quota has left (see `exactMeteredCte`).
 * - Billing off (`limits` null, the self-hosted default): nothing is ever refused, so nothing
 *   needs the row's lock. `metered` grants everything, and `counted`, after the insert, appends
 *   one row per workspace with what the statement inserted to `billing_usage_deltas`; a periodic
 *   pass folds them into the usage row and the usage read adds those not folded yet
 *   (platform/billing/usage-deltas.ts). Counted from the rows actually inserted, so a retried
 *   send (its idempotency key existed) never counts twice.
 */

/** Billing off: grants everything, locks nothing (a statement's `metered` answers no row). */
const GRANT_ALL_METERED_CTE = `metered as (
  select null::uuid as workspace_id, null::integer as granted, null::integer as used, null::integer as "recipientsUsed", null::integer as "recipientsGranted",
         null::timestamptz as "periodEnd", null::text as plan, null::integer as "messageLimit", null::integer as "recipientLimit"
   where false
)`;

/**
 * Metering with plan limits (billing on): exact under concurrency, at the price of one row lock
 * per workspace held by every sending transaction until it ends.
 *
 * The statement's `wanted` CTE gives, per workspace, how many automated messages (bot and
 * broadcast), broadcast recipients and agents' replies it is about to record. This CTE
 * updates the workspace's `billing_usage` row: it rolls the period when it has ended, adds the
 * agents' replies, and lets through at most what is left of the plan's quota (`last_grant`). The
 * statement then records the first `granted` automated messages of the workspace (in id order)
 * and refuses the others.
 *
 * Exact under concurrency: the UPDATE takes the row's lock until the transaction ends; a
 * concurrent transaction of the same workspace waits for it and then re-evaluates the SET on the
 * committed row (READ COMMITTED's re-check of an updated row), so two senders never both take the
 * last message. A rolled-back transaction gives its count back with it.
 *
 * Idempotent by message: only rows actually inserted count. A row whose idempotency key exists
 * already (a retried send) is known before the statement (its caller's look-up, or the broadcast
 * recipient no longer pending); the rare race of two identical sends at once is corrected by
 * `giveBack` in the same transaction.
 */
function exactMeteredCte(): string {
  const now = 'cast(:now as timestamptz)';
  const rolled = `(${now} >= u.period_end)`;
  const rollStart = `(case when ${now} < u.period_end + interval '1 month' then u.period_end else date_trunc('month', ${now} at time zone 'UTC') at time zone 'UTC' end)`;
  const planLimits = `coalesce(cast(:limits as jsonb) -> ws.plan, cast(:limits as jsonb) -> '${FREE_PLAN_ID}')`;
  const messageLimit = `cast(${planLimits} ->> 'messages' as integer)`;
  const recipientLimit = `cast(${planLimits} ->> 'recipients' as integer)`;
  const base = (column: string) => `(case when ${rolled} then 0 else u.${column} end)`;
  const grant = `least(w.automated,
      greatest(coalesce(${messageLimit} - ${base('automated_messages')}, w.automated), 0),
      case when w.recipients > 0 then greatest(coalesce(${recipientLimit} - ${base('broadcast_recipients')}, w.recipients), 0) else w.automated end)`;
  return `metered as (
  update billing_usage u set
         period_start = case when ${rolled} then ${rollStart} else u.period_start end,
         period_end = case when ${rolled} then ${rollStart} + interval '1 month' else u.period_end end,
         automated_messages = ${base('automated_messages')} + ${grant},
         broadcast_recipients = ${base('broadcast_recipients')} + least(${grant}, w.recipients),
         agent_messages = ${base('agent_messages')} + w.agent,
         last_grant = ${grant},
         updated_at = ${now}
    from wanted w join workspaces ws on ws.id = w.workspace_id
   where u.workspace_id = w.workspace_id
  returning u.workspace_id, u.last_grant as granted, u.automated_messages as used, u.broadcast_recipients as "recipientsUsed",
            least(u.last_grant, w.recipients) as "recipientsGranted", u.period_end as "periodEnd", ws.plan,
            ${messageLimit} as "messageLimit", ${recipientLimit} as "recipientLimit"
)`;
}

/**
 * One workspace's line of a counting statement's result: METERED_JSON as node-postgres parsed
 * it (a JSON object, so `periodEnd` arrives as PostgreSQL's ISO text of a timestamptz). The
 * statements' row schemas use it, so a malformed line fails the statement's row check (an
 * InvariantError) instead of becoming NaN or an Invalid Date.
 */
export const MeteredRowSchema = z.object({
  workspaceId: z.string(),
  granted: z.number().int(),
  used: z.number().int(),
  recipientsUsed: z.number().int(),
  recipientsGranted: z.number().int(),
  periodEnd: z.iso.datetime({ offset: true }).transform((text) => new Date(text)),
  plan: z.string(),
  messageLimit: z.number().int().nullable(),
  recipientLimit: z.number().int().nullable(),
});
export type MeteredRow = z.output<typeof MeteredRowSchema>;

/** The columns a counting statement answers for its metered rows, as JSON (see `MeteredRowSchema`). */
export const METERED_JSON = `json_build_object('workspaceId', workspace_id, 'granted', granted, 'used', used, 'recipientsUsed', "recipientsUsed", 'recipientsGranted', "recipientsGranted",
  'periodEnd', "periodEnd", 'plan', plan, 'messageLimit', "messageLimit", 'recipientLimit', "recipientLimit")`;

/** The quota limits per plan, as the counting statements read them (`:limits`). */
export class UsageMeter {
  /** Null: billing is off; nothing is limited (still counted, for the usage shown). */
  readonly limits: string | null;

  constructor(plans: readonly Plan[] | null) {
    this.limits =
      plans === null
        ? null
        : JSON.stringify(
            Object.fromEntries(
              plans.map((p) => [
                p.id,
                { messages: p.entitlements.messagesPerPeriod, recipients: p.entitlements.broadcastRecipientsPerMonth },
              ]),
            ),
          );
  }

  /** Counts and never refuses: billing off. */
  static unlimited(): UsageMeter {
    return new UsageMeter(null);
  }

  /** The statement's `metered` CTE (workspace_id, granted, ... as METERED_JSON reads them), before its insert. */
  meteredCte(): string {
    return this.limits === null ? GRANT_ALL_METERED_CTE : exactMeteredCte();
  }

  /**
   * Billing off: the statement's `counted` CTE, after its insert: `inserted` selects, from the
   * rows the statement inserted, `workspace_id, automated, recipients, agent` per workspace; they
   * are appended to the deltas at `:now`. Billing on: nothing (the `metered` CTE counted them).
   */
  countedCte(inserted: string): string {
    if (this.limits !== null) return '';
    return `,
counted as (
  insert into billing_usage_deltas (workspace_id, counted_at, automated_messages, broadcast_recipients, agent_messages)
  select c.workspace_id, cast(:now as timestamptz), c.automated, c.recipients, c.agent
    from (${inserted}) c
   where c.automated + c.recipients + c.agent > 0
)`;
  }

  /**
   * Tells the owners through the audit log (the workspace's event log, which the billing page
   * and its banners read too) of each threshold (80, 90, 100 %) this statement crossed. Exactly
   * once per threshold and period: the crossing is decided under the usage row's lock, and the
   * entry commits or rolls back with the messages that crossed it. One extra statement, only in
   * the rare transaction that crossed a threshold.
   */
  async recordThresholds(em: EntityManager, rows: readonly MeteredRow[]): Promise<void> {
    const entries: { id: string; workspaceId: string; details: string }[] = [];
    for (const r of rows) {
      const lines = [
        { entitlement: 'messagesPerPeriod', used: r.used, before: r.used - r.granted, limit: r.messageLimit },
        {
          entitlement: 'broadcastRecipientsPerMonth',
          used: r.recipientsUsed,
          before: r.recipientsUsed - r.recipientsGranted,
          limit: r.recipientLimit,
        },
      ] as const;
      for (const line of lines) {
        for (const threshold of crossedThresholds(line.before, line.used, line.limit)) {
          entries.push({
            id: newId(),
            workspaceId: r.workspaceId,
            details: JSON.stringify({
              entitlement: line.entitlement,
              label: ENTITLEMENT_LABELS[line.entitlement],
              threshold,
              used: line.used,
              limit: line.limit,
              plan: r.plan,
              periodEnd: r.periodEnd.toISOString(),
            }),
          });
        }
      }
    }
    if (entries.length === 0) return;
    await runSql(
      em,
      `insert into audit_log (id, workspace_id, actor_kind, action, target_kind, target_id, details, created_at)
       select e.id, e.workspace_id, 'system', 'billing.usage_threshold', 'workspace', e.workspace_id, e.details, now()
         from unnest(cast(:ids as uuid[]), cast(:workspaceIds as uuid[]), cast(:details as jsonb[])) as e(id, workspace_id, details)`,
      { ids: entries.map((e) => e.id), workspaceIds: entries.map((e) => e.workspaceId), details: entries.map((e) => e.details) },
    );
  }

  /** Gives back messages counted but not recorded (two identical sends at once: the key existed). */
  async giveBack(em: EntityManager, workspaceId: string, automated: number, agent: number): Promise<void> {
    if (automated === 0 && agent === 0) return;
    await runSql(
      em,
      `update billing_usage set automated_messages = greatest(automated_messages - :automated, 0), agent_messages = greatest(agent_messages - :agent, 0) where workspace_id = :workspaceId`,
      { workspaceId, automated, agent },
    );
  }
}
