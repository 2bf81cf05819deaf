import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { CHANNEL_STATUSES, type ChannelStatus } from '../../engine/channels/channel-kind.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

const ENSURE_SQL = `insert into whatsapp_sessions (channel_id) values (cast(:channelId as uuid)) on conflict (channel_id) do nothing`;
/* Raises the fence to a new holder's token at once, so that the old holder's writes fail from now on, not from the new holder's first write. */
const CLAIM_SQL = `
insert into whatsapp_sessions (channel_id, fence_token) values (cast(:channelId as uuid), cast(:token as bigint))
on conflict (channel_id) do update set fence_token = excluded.fence_token, updated_at = now()
 where whatsapp_sessions.fence_token <= excluded.fence_token`;
const LOAD_SQL = `
select ch.id as "channelId", ch.workspace_id as "workspaceId", coalesce(s.desired, false) as desired, s.pairing_phone as "pairingPhone",
       ch.settings, ch.status
  from channels ch left join whatsapp_sessions s on s.channel_id = ch.id
 where ch.id = cast(:channelId as uuid) and ch.kind = 'whatsapp' and ch.deleted_at is null`;
/** A WhatsApp channel as its session needs it. */
const SessionRowSchema = z.object({
  channelId: z.string(),
  workspaceId: z.string(),
  desired: z.boolean(),
  pairingPhone: z.string().nullable(),
  settings: z.unknown(),
  status: z.enum(CHANNEL_STATUSES),
});
export type SessionRow = z.infer<typeof SessionRowSchema>;
/** Channels that want a live socket, oldest connect first (they are taken in this order). */
const DESIRED_SQL = `
select s.channel_id as "channelId" from whatsapp_sessions s join channels ch on ch.id = s.channel_id
 where s.desired and ch.deleted_at is null and ch.kind = 'whatsapp'
 order by s.connect_requested_at nulls last`;
const DesiredChannelRow = z.object({ channelId: z.string() });
const FENCE_SQL = `select fence_token as fence from whatsapp_sessions where channel_id = cast(:channelId as uuid)`;
const FenceRow = z.object({ fence: z.number() });
const REQUEST_CONNECT_SQL = `
insert into whatsapp_sessions (channel_id, desired, pairing_phone, connect_requested_at, updated_at)
values (cast(:channelId as uuid), true, cast(:pairingPhone as text), now(), now())
on conflict (channel_id) do update set desired = true, pairing_phone = excluded.pairing_phone, connect_requested_at = now(), updated_at = now()`;
const SET_DESIRED_SQL = `update whatsapp_sessions set desired = cast(:desired as boolean), pairing_phone = case when cast(:desired as boolean) then pairing_phone end, updated_at = now() where channel_id = cast(:channelId as uuid)`;
const STATUS_SQL = `
update channels set status = cast(:status as text), status_reason = cast(:reason as text), status_changed_at = now(), updated_at = now(),
       display_identifier = coalesce(cast(:display as text), display_identifier)
 where id = cast(:channelId as uuid)`;

export async function ensureSessionRow(em: EntityManager, channelId: string): Promise<void> {
  await runSql(em, ENSURE_SQL, { channelId });
}

/** Claims the session for a new lease holder; false when a newer token has already written (the lease counter went backwards). */
export async function claimSession(em: EntityManager, channelId: string, token: number): Promise<boolean> {
  return (await runSql(em, CLAIM_SQL, { channelId, token })).rowCount > 0;
}

/** The fence of a channel's session: the newest token that wrote (0 before any). */
export async function sessionFence(em: EntityManager, channelId: string): Promise<number> {
  const row = (await runSql(em, FENCE_SQL, { channelId }, { row: FenceRow })).rows[0];
  return row?.fence ?? 0;
}

export async function loadSession(em: EntityManager, channelId: string): Promise<SessionRow | null> {
  return (await runSql(em, LOAD_SQL, { channelId }, { row: SessionRowSchema })).rows[0] ?? null;
}

export async function desiredChannels(em: EntityManager): Promise<string[]> {
  return (await runSql(em, DESIRED_SQL, {}, { row: DesiredChannelRow })).rows.map((r) => r.channelId);
}

/** Marks the session wanted (a connect request), with the phone to pair by code or null for a QR. */
export async function requestConnect(em: EntityManager, channelId: string, pairingPhone: string | null): Promise<void> {
  await runSql(em, REQUEST_CONNECT_SQL, { channelId, pairingPhone });
}

/** Stops wanting a socket (logout) or keeps wanting it; a pairing phone is used once. */
export async function setDesired(em: EntityManager, channelId: string, desired: boolean): Promise<void> {
  await runSql(em, SET_DESIRED_SQL, { channelId, desired });
}

/** Records the channel's status and the reason, visible in the API. */
export async function setChannelStatus(
  em: EntityManager,
  channelId: string,
  status: ChannelStatus,
  reason: string | null,
  display: string | null = null,
): Promise<void> {
  await runSql(em, STATUS_SQL, { channelId, status, reason, display });
}
