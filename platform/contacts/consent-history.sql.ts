import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { emitEvents } from '../webhooks/webhook-events.ts';
import { contactOptedOutEvents } from '../webhooks/event-payloads.ts';

const ConsentActionSchema = z.enum(['opt_out', 'opt_in', 'restrict', 'unrestrict']);
export type ConsentAction = z.infer<typeof ConsentActionSchema>;
/** Where a consent change came from: a global keyword the contact sent, a flow's node, an API call, the editor. */
const ConsentSourceSchema = z.enum(['keyword', 'node', 'api', 'editor']);
export type ConsentSource = z.infer<typeof ConsentSourceSchema>;

export interface ConsentEvent {
  workspaceId: string;
  contactId: string;
  action: ConsentAction;
  source: ConsentSource;
  channelId?: string | null;
  actorUserId?: string | null;
  runId?: string | null;
  at: Date;
}

/**
 * Records one consent change in the contact's history, in the caller's transaction (with the
 * flag it changes). The history says when, how and on which channel; `contacts.opted_out_at`
 * and `restricted_at` stay the current state that sending checks.
 */
export async function recordConsent(em: EntityManager, e: ConsentEvent): Promise<void> {
  await runSql(
    em,
    `insert into consent_events (id, workspace_id, contact_id, action, source, channel_id, actor_user_id, run_id, created_at)
     values (:id, :workspaceId, :contactId, :action, :source, cast(:channelId as uuid), cast(:actorUserId as uuid), cast(:runId as uuid), :at)`,
    {
      id: newId(),
      workspaceId: e.workspaceId,
      contactId: e.contactId,
      action: e.action,
      source: e.source,
      channelId: e.channelId ?? null,
      actorUserId: e.actorUserId ?? null,
      runId: e.runId ?? null,
      at: e.at,
    },
  );
  await emitEvents(em, contactOptedOutEvents(e));
}

const ConsentHistoryRow = z.object({
  action: ConsentActionSchema,
  source: ConsentSourceSchema,
  channelId: z.string().nullable(),
  actorUserId: z.string().nullable(),
  runId: z.string().nullable(),
  at: z.date(),
});
export type ConsentHistoryRow = z.infer<typeof ConsentHistoryRow>;

/** A contact's consent history, oldest first. */
export async function consentHistory(em: EntityManager, workspaceId: string, contactId: string): Promise<ConsentHistoryRow[]> {
  return (
    await runSql(
      em,
      `select action, source, channel_id as "channelId", actor_user_id as "actorUserId", run_id as "runId", created_at as "at"
         from consent_events where workspace_id = :workspaceId and contact_id = :contactId order by created_at, id`,
      { workspaceId, contactId },
      { row: ConsentHistoryRow },
    )
  ).rows;
}
