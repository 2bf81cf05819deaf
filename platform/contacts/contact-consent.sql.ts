import type { EntityManager } from '@mikro-orm/postgresql';
import { countBroadcastOptOut } from '../broadcasts/broadcast-opt-outs.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { recordConsent, type ConsentSource } from './consent-history.sql.ts';

/** Who changed a contact's consent, and how (the history's columns). */
export interface ConsentChange {
  workspaceId: string;
  contactId: string;
  source: ConsentSource;
  channelId?: string | null;
  /** The member who recorded it (the API, the editor); null for the contact's own keyword or a flow. */
  actorUserId?: string | null;
  runId?: string | null;
  at: Date;
}

/**
 * The contact is to receive nothing automated (a STOP keyword, an opt-out node, a member through
 * the API or the editor), in the caller's transaction: the flag keeps the first opt-out's time,
 * the history records this one, and the broadcasts that reached the contact lately count it.
 * The caller stops its runs.
 */
export async function optOutContact(em: EntityManager, change: ConsentChange): Promise<void> {
  await runSql(em, `update contacts set opted_out_at = coalesce(opted_out_at, :now), updated_at = :now where id = :id`, {
    id: change.contactId,
    now: change.at,
  });
  await recordConsent(em, { ...change, action: 'opt_out' });
  await countBroadcastOptOut(em, change.contactId, change.at);
}

/** The contact opted in again (a START keyword, an opt-in node, a member), in the caller's transaction. */
export async function optInContact(em: EntityManager, change: ConsentChange): Promise<void> {
  await runSql(em, `update contacts set opted_out_at = null, updated_at = :now where id = :id`, { id: change.contactId, now: change.at });
  await recordConsent(em, { ...change, action: 'opt_in' });
}
