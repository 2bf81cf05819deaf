import type { EntityManager } from '@mikro-orm/postgresql';
import { QUOTA_EXCEEDED_REASON } from '../../engine/billing/usage-thresholds.ts';
import { runSql } from '../pipeline/run-sql.ts';

export interface UsageCounts {
  automatedMessages: number;
  agentMessages: number;
  broadcastRecipients: number;
}

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

/**
 * Recomputes a workspace's usage counters for its current period from the messages table (after
 * a restore, or to check the counters), under the usage row's lock so that no send counts in
 * between. Answers the counters before and after. Messages already deleted by retention within
 * the period are no longer counted.
 */
export async function reconcileUsage(em: EntityManager, workspaceId: string): Promise<{ before: UsageCounts; after: UsageCounts }> {
  return em.transactional(async (tx) => {
    const before = (
      await runSql<UsageCounts>(tx, `select automated_messages as "automatedMessages", agent_messages as "agentMessages", broadcast_recipients as "broadcastRecipients" from billing_usage where workspace_id = :workspaceId for update`, { workspaceId })
    ).rows[0];
    if (!before) throw new Error(`workspace ${workspaceId} has no usage row`);
    const after = (await runSql<UsageCounts>(tx, COUNT_SQL, { workspaceId, refused: QUOTA_EXCEEDED_REASON })).rows[0]!;
    await runSql(tx, `update billing_usage set automated_messages = :a, agent_messages = :g, broadcast_recipients = :r, updated_at = now() where workspace_id = :workspaceId`, { workspaceId, a: after.automatedMessages, g: after.agentMessages, r: after.broadcastRecipients });
    return { before, after };
  });
}
