import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { StoredWeeklyHoursSchema } from '../../engine/flows/nodes/business-hours.node.ts';
import type { RunFacts } from '../../engine/runs/run-types.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';

const FACTS_SQL = `select w.timezone, w.business_hours as "businessHours", c.id as "contactId", c.phone, c.name, c.attributes, c.tags,
            conv.id as "conversationId", conv.channel_id as "channelId", conv.status as "conversationStatus",
            m.id as "messageId", m.text as "messageText", m.type as "messageType"
       from workspaces w
       left join contacts c on c.id = cast(:contactId as uuid) and c.workspace_id = w.id
       left join conversations conv on conv.id = cast(:conversationId as uuid) and conv.workspace_id = w.id
       left join messages m on m.id = cast(:messageId as uuid) and m.workspace_id = w.id
      where w.id = :workspaceId`;
/** Its row: the contact's, conversation's and message's columns are null when there is none (the left joins). */
const FactsRow = z.object({
  timezone: z.string(),
  businessHours: StoredWeeklyHoursSchema.nullable(),
  contactId: z.string().nullable(),
  phone: z.string().nullable(),
  name: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()).nullable(),
  tags: z.array(z.string()).nullable(),
  conversationId: z.string().nullable(),
  channelId: z.string().nullable(),
  conversationStatus: z.string().nullable(),
  messageId: z.string().nullable(),
  messageText: z.string().nullable(),
  messageType: z.string().nullable(),
});

/**
 * The workspace, contact and conversation a run sees, in one round trip. `message` given only by
 * its id (a run woken by its timer) is read from the messages table in the same statement.
 */
export async function loadRunFacts(
  em: EntityManager,
  ids: { workspaceId: string; contactId: string | null; conversationId: string | null },
  message: RunFacts['message'] | { id: string },
  trigger: Record<string, unknown>,
): Promise<RunFacts> {
  const { rows } = await runSql(
    em,
    FACTS_SQL,
    {
      workspaceId: ids.workspaceId,
      contactId: ids.contactId,
      conversationId: ids.conversationId,
      messageId: message && !('text' in message) ? message.id : null,
    },
    { row: FactsRow },
  );
  const row = rows[0];
  if (!row) throw new InvariantError(`workspace ${ids.workspaceId} does not exist`, { workspaceId: ids.workspaceId });
  return {
    contact: row.contactId
      ? { id: row.contactId, phone: row.phone, name: row.name, attributes: row.attributes ?? {}, tags: row.tags ?? [] }
      : null,
    message:
      message && 'text' in message ? message : row.messageId ? { id: row.messageId, text: row.messageText, type: row.messageType! } : null,
    conversation: row.conversationId ? { id: row.conversationId, channelId: row.channelId!, status: row.conversationStatus! } : null,
    trigger,
    workspace: { id: ids.workspaceId, timezone: row.timezone, businessHours: row.businessHours },
  };
}
