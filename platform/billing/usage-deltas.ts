import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { PeriodicPass } from '../runtime/periodic-pass.ts';

/** How often a worker folds the counted deltas into the usage rows. */
export const USAGE_FOLD_INTERVAL_MS = 10_000;
/** Delta rows folded by one statement at most: a pass loops until fewer are left. */
const FOLD_BATCH_ROWS = 5_000;

/** A workspace's usage for a billing period (also the row of usage-reconcile.ts's statements). */
export const UsageCountsRow = z.object({ automatedMessages: z.number(), agentMessages: z.number(), broadcastRecipients: z.number() });
export type UsageCounts = z.infer<typeof UsageCountsRow>;

export interface PeriodUsage extends UsageCounts {
  periodStart: Date;
  periodEnd: Date;
}

/*
 * Folds delta rows (see usage-meter.ts, billing off) into their workspaces' usage rows: the
 * deltas counted before the row's period end are added to it; when some were counted after it,
 * the period has rolled: the row moves to the period of the latest (the next one, or the current
 * month after a longer gap, as the exact counting rolls) and its counters start from the deltas
 * counted after the old end. The delete and the update are one statement, so a delta is folded
 * exactly once; two passes at once take disjoint rows (skip locked). The usage row's lock is
 * held for this statement only, once a pass, not by every sending transaction.
 */
const FOLD_SQL = `
with moved as (
  delete from billing_usage_deltas
   where id in (select id from billing_usage_deltas order by id limit :batchRows for update skip locked)
  returning workspace_id, counted_at, automated_messages, agent_messages, broadcast_recipients
),
per_workspace as (
  select m.workspace_id,
         max(m.counted_at) filter (where m.counted_at >= u.period_end) as rolled_at,
         coalesce(sum(m.automated_messages) filter (where m.counted_at < u.period_end), 0) as automated_before,
         coalesce(sum(m.agent_messages) filter (where m.counted_at < u.period_end), 0) as agent_before,
         coalesce(sum(m.broadcast_recipients) filter (where m.counted_at < u.period_end), 0) as recipients_before,
         coalesce(sum(m.automated_messages) filter (where m.counted_at >= u.period_end), 0) as automated_after,
         coalesce(sum(m.agent_messages) filter (where m.counted_at >= u.period_end), 0) as agent_after,
         coalesce(sum(m.broadcast_recipients) filter (where m.counted_at >= u.period_end), 0) as recipients_after
    from moved m join billing_usage u on u.workspace_id = m.workspace_id
   group by m.workspace_id
),
rolled as (
  select p.*, case when p.rolled_at is null then null
                   when p.rolled_at < u.period_end + interval '1 month' then u.period_end
                   else date_trunc('month', p.rolled_at at time zone 'UTC') at time zone 'UTC' end as new_start
    from per_workspace p join billing_usage u on u.workspace_id = p.workspace_id
)
update billing_usage u set
       period_start = coalesce(r.new_start, u.period_start),
       period_end = coalesce(r.new_start + interval '1 month', u.period_end),
       automated_messages = case when r.new_start is null then u.automated_messages + r.automated_before else r.automated_after end,
       agent_messages = case when r.new_start is null then u.agent_messages + r.agent_before else r.agent_after end,
       broadcast_recipients = case when r.new_start is null then u.broadcast_recipients + r.recipients_before else r.recipients_after end,
       updated_at = now()
  from rolled r
 where u.workspace_id = r.workspace_id`;

/** Periodically folds the deltas counted while billing is off into the usage rows (one worker or many). */
export class UsageFolder {
  private readonly periodic: PeriodicPass;

  constructor(private readonly deps: { orm: Orm; logger: Logger }) {
    this.periodic = new PeriodicPass(() => this.foldAll(), { logger: deps.logger, message: 'folding usage deltas failed' });
  }

  start(intervalMs = USAGE_FOLD_INTERVAL_MS): void {
    this.periodic.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** Folds every delta there is now, a batch per statement, until a statement finds none. */
  async foldAll(): Promise<void> {
    // rowCount: the usage rows a batch updated; none once no delta was left to fold.
    while ((await runSql(this.deps.orm.em.fork(), FOLD_SQL, { batchRows: FOLD_BATCH_ROWS })).rowCount > 0);
  }
}

/** The usage row and the deltas not folded yet, split at the row's period end. */
const USAGE_SQL = `
select u.period_start as "periodStart", u.period_end as "periodEnd",
       u.automated_messages as "automatedMessages", u.agent_messages as "agentMessages", u.broadcast_recipients as "broadcastRecipients",
       coalesce(sum(d.automated_messages) filter (where d.counted_at < u.period_end), 0)::int as "automatedBefore",
       coalesce(sum(d.agent_messages) filter (where d.counted_at < u.period_end), 0)::int as "agentBefore",
       coalesce(sum(d.broadcast_recipients) filter (where d.counted_at < u.period_end), 0)::int as "recipientsBefore",
       coalesce(sum(d.automated_messages) filter (where d.counted_at >= u.period_end), 0)::int as "automatedAfter",
       coalesce(sum(d.agent_messages) filter (where d.counted_at >= u.period_end), 0)::int as "agentAfter",
       coalesce(sum(d.broadcast_recipients) filter (where d.counted_at >= u.period_end), 0)::int as "recipientsAfter"
  from billing_usage u
  left join billing_usage_deltas d on d.workspace_id = u.workspace_id
 where u.workspace_id = :workspaceId
 group by u.workspace_id`;

const UsageReadRow = UsageCountsRow.extend({
  periodStart: z.date(),
  periodEnd: z.date(),
  automatedBefore: z.number(),
  agentBefore: z.number(),
  recipientsBefore: z.number(),
  automatedAfter: z.number(),
  agentAfter: z.number(),
  recipientsAfter: z.number(),
});

/**
 * The workspace's usage in the period that contains now: the usage row plus the deltas not
 * folded yet. When the row's period has ended (nothing counted or folded since), the next one
 * is read, with the deltas counted after the old end; after a gap of over a month, the current
 * calendar month (as the counting rolls).
 */
export async function readUsage(em: EntityManager, workspaceId: string, clock: Clock): Promise<PeriodUsage> {
  const now = clock.now();
  const row = (await runSql(em, USAGE_SQL, { workspaceId }, { row: UsageReadRow })).rows[0];
  if (!row) {
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    return { periodStart: start, periodEnd: addMonth(start), automatedMessages: 0, agentMessages: 0, broadcastRecipients: 0 };
  }
  const { periodStart, periodEnd } = row;
  if (now < periodEnd) {
    return {
      periodStart,
      periodEnd,
      automatedMessages: row.automatedMessages + row.automatedBefore,
      agentMessages: row.agentMessages + row.agentBefore,
      broadcastRecipients: row.broadcastRecipients + row.recipientsBefore,
    };
  }
  const start = now < addMonth(periodEnd) ? periodEnd : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return {
    periodStart: start,
    periodEnd: addMonth(start),
    automatedMessages: row.automatedAfter,
    agentMessages: row.agentAfter,
    broadcastRecipients: row.recipientsAfter,
  };
}

function addMonth(d: Date): Date {
  const next = new Date(d);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return next;
}
