import type { EntityManager } from '@mikro-orm/postgresql';
import type { RunFacts } from '../../engine/runs/run-types.ts';
import { runSql } from '../pipeline/run-sql.ts';

interface FactsRow {
  timezone: string;
  contactId: string | null;
  phone: string | null;
  name: string | null;
  attributes: Record<string, unknown> | null;
  tags: string[] | null;
  conversationId: string | null;
  channelId: string | null;
  conversationStatus: string | null;
}

/** The workspace, contact and conversation a run sees, in one round trip. */
export async function loadRunFacts(
  em: EntityManager,
  ids: { workspaceId: string; contactId: string | null; conversationId: string | null },
  message: RunFacts['message'],
  trigger: Record<string, unknown>,
): Promise<RunFacts> {
  const { rows } = await runSql<FactsRow>(
    em,
    `select w.timezone, c.id as "contactId", c.phone, c.name, c.attributes, c.tags,
            conv.id as "conversationId", conv.channel_id as "channelId", conv.status as "conversationStatus"
       from workspaces w
       left join contacts c on c.id = cast(:contactId as uuid) and c.workspace_id = w.id
       left join conversations conv on conv.id = cast(:conversationId as uuid) and conv.workspace_id = w.id
      where w.id = :workspaceId`,
    { workspaceId: ids.workspaceId, contactId: ids.contactId, conversationId: ids.conversationId },
  );
  const row = rows[0];
  if (!row) throw new Error(`workspace ${ids.workspaceId} does not exist`);
  return {
    contact: row.contactId ? { id: row.contactId, phone: row.phone, name: row.name, attributes: row.attributes ?? {}, tags: row.tags ?? [] } : null,
    message,
    conversation: row.conversationId ? { id: row.conversationId, channelId: row.channelId!, status: row.conversationStatus! } : null,
    trigger,
    workspace: { id: ids.workspaceId, timezone: row.timezone },
  };
}
