import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../pipeline/run-sql.ts';

/** A STOP this long after a broadcast reached the contact is counted on that broadcast. */
export const OPT_OUT_ATTRIBUTION_DAYS = 7;

/*
 * `skip locked`: a recipient row that a broadcast batch holds right now is not yet `queued` in
 * any committed sense; waiting for it could deadlock with that batch (which may wait for this
 * contact's new conversation to commit).
 */
const COUNT_OPT_OUT_SQL = `
update broadcast_recipients r set opted_out_at = :now
 where r.id in (select id from broadcast_recipients
                 where contact_id = :contactId and state = 'queued' and opted_out_at is null
                   and updated_at > cast(:now as timestamptz) - make_interval(days => :days)
                   for update skip locked)`;

/** Counts a contact's opt-out on the broadcasts that reached it in the last OPT_OUT_ATTRIBUTION_DAYS. */
export async function countBroadcastOptOut(em: EntityManager, contactId: string, now: Date): Promise<void> {
  await runSql(em, COUNT_OPT_OUT_SQL, { contactId, now, days: OPT_OUT_ATTRIBUTION_DAYS });
}
