import type { EntityManager } from '@mikro-orm/postgresql';
import { QUOTA_EXCEEDED_REASON } from '../../engine/billing/usage-thresholds.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { UsageCountsRow, type UsageCounts } from './usage-deltas.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';

/*
 * What the counters should say, from the messages themselves: the outbound messages recorded in
 * the period (by their creation time), automated ones except those refused for the quota, agents'
 * replies, and broadcast messages (one per recipient). Messages to test contacts (the editor's test
 * chat) never count.
 */
const COUNT_SQL = `
select count(*) filter (where m.sender in ('bot', 'broadcast') and m.failure_reason is distinct from :refused)::int as "automatedMessages",
       count(*) filter (where m.sender = 'agent')::int as "agentMessages",
       count(*) filter (where m.sender = 'broadcast' and m.failure_reason is distinct from :refused)::int as "broadcastRecipients"
  from messages m
  join billing_usage u on u.workspace_id = m.workspace_id
  left join contacts c on c.id = m.contact_id
 where u.workspace_id = :workspaceId and m.workspace_id = :workspaceId and m.direction = 'outbound'
   and m.created_at >= u.period_start and m.created_at < u.period_end and not coalesce(c.is_test, false)`;

/** The usage row, locked, with the deltas of its period not folded yet. */
const LOCKED_USAGE_SQL = `
with u as (select * from billing_usage where workspace_id = :workspaceId for update)
select u.automated_messages + coalesce(sum(d.automated_messages), 0)::int as "automatedMessages",
       u.agent_messages + coalesce(sum(d.agent_messages), 0)::int as "agentMessages",
       u.broadcast_recipients + coalesce(sum(d.broadcast_recipients), 0)::int as "broadcastRecipients"
  from u left join billing_usage_deltas d on d.workspace_id = u.workspace_id and d.counted_at < u.period_end
 group by u.workspace_id, u.automated_messages, u.agent_messages, u.broadcast_recipients`;

/**
 * Recomputes a workspace's usage counters for its current period from the messages table (after
 * a restore, or to check the counters), under the usage row's lock so that no send counts in
 * between (billing on), and with the deltas table locked against new rows (billing off: a
 * sending transaction that counted a delta is waited for, one that has not yet waits for this
 * one, so each message is counted by the messages table or by a delta, never both). The
 * workspace's unfolded deltas of the period are replaced by the recount. Answers the counters before (as the
 * usage read shows them) and after. Messages already deleted by retention within the period are
 * no longer counted.
 */
export async function reconcileUsage(em: EntityManager, workspaceId: string): Promise<{ before: UsageCounts; after: UsageCounts }> {
  return em.transactional(async (tx) => {
    // SHARE conflicts with the ROW EXCLUSIVE lock of an insert: sends of every workspace wait for this short transaction.
    await runSql(tx, `lock table billing_usage_deltas in share mode`);
    const before = (await runSql(tx, LOCKED_USAGE_SQL, { workspaceId }, { row: UsageCountsRow })).rows[0];
    if (!before) throw new InvariantError('the workspace has no usage row', { workspaceId });
    const after = (await runSql(tx, COUNT_SQL, { workspaceId, refused: QUOTA_EXCEEDED_REASON }, { row: UsageCountsRow })).rows[0]!;
    await runSql(
      tx,
      `delete from billing_usage_deltas d using billing_usage u where d.workspace_id = :workspaceId and u.workspace_id = d.workspace_id and d.counted_at < u.period_end`,
      { workspaceId },
    );
    await runSql(
      tx,
      `update billing_usage set automated_messages = :a, agent_messages = :g, broadcast_recipients = :r, updated_at = now() where workspace_id = :workspaceId`,
      { workspaceId, a: after.automatedMessages, g: after.agentMessages, r: after.broadcastRecipients },
    );
    return { before, after };
  });
}
