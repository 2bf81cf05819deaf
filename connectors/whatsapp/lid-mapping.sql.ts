import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/*
 * Baileys tells us that a LID and a phone JID are one user. The contact that already owns either
 * identity on this channel gets the other one too, so a contact first seen by LID and later by
 * phone (or the reverse) stays one contact. Contacts are never merged here: when each identity
 * already belongs to a different contact, nothing changes.
 */
const LINK_SQL = `
with owner as (
  select ci.contact_id, ci.workspace_id from contact_identities ci
   where ci.channel_id = cast(:channelId as uuid) and ((ci.kind = 'wa_lid' and ci.value = :lid) or (ci.kind = 'wa_jid' and ci.value = :pn))
   order by ci.created_at limit 1
)
insert into contact_identities (id, workspace_id, contact_id, channel_id, kind, value, created_at)
select v.id, owner.workspace_id, owner.contact_id, cast(:channelId as uuid), v.kind, v.value, now()
  from owner, (values (cast(:lidRowId as uuid), 'wa_lid', cast(:lid as text)), (cast(:pnRowId as uuid), 'wa_jid', cast(:pn as text))) as v(id, kind, value)
on conflict (channel_id, kind, value) do nothing`;

/** Records that `lid` and `pn` (both normalised user JIDs) are the same user; returns the identities added. */
export async function linkLidToPhone(em: EntityManager, channelId: string, lid: string, pn: string): Promise<number> {
  return (await runSql(em, LINK_SQL, { channelId, lid, pn, lidRowId: newId(), pnRowId: newId() })).rowCount;
}
