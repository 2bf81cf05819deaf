import { z } from 'zod';
import { ChannelEvents, type ChannelEvent } from '../../connectors/whatsapp/channel-events.ts';
import { ChannelLeases } from '../../connectors/whatsapp/channel-lease.ts';
import { publishSessionCommand } from '../../connectors/whatsapp/session-commands.ts';
import { requestConnect, setChannelStatus, setDesired } from '../../connectors/whatsapp/whatsapp-sessions.sql.ts';
import { WhatsappSettingsSchema } from '../../connectors/whatsapp/whatsapp-settings.ts';
import { WrongChannelKindError } from '../../engine/errors/wrong-channel-kind.error.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import type { Channel } from '../../platform/db/entities/channel.entity.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { ChannelDto, toChannelDto } from '../dto/channel.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';
import { findChannel, PhoneInput } from './channels.routes.ts';

const IdParams = z.object({ id: z.uuid() });
/** A comment line every so often keeps proxies from closing an idle event stream. */
const SSE_KEEPALIVE_MS = 25_000;

function requireWhatsapp(channel: Channel): void {
  if (channel.kind !== 'whatsapp') throw new WrongChannelKindError(channel.id, 'whatsapp', channel.kind);
}

/** Login and session of WhatsApp channels: connect (QR or pairing code), live events, logout, settings. */
export const channelSessionRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/channels/:id/connect',
    summary: 'Start a WhatsApp login: a QR (default) or a pairing code for pairingPhone; follow it on /events',
    tag: 'channels',
    auth: 'channels.manage',
    status: 202,
    params: IdParams,
    body: z.object({ pairingPhone: PhoneInput.optional() }).strict(),
    response: ChannelDto,
    exampleBody: { pairingPhone: '+15551234567' },
    async handler({ deps, em, auth, params, body, req }) {
      const channel = await findChannel(em, auth.workspaceId, params.id);
      requireWhatsapp(channel);
      await requestConnect(em, channel.id, body.pairingPhone ?? null);
      await setChannelStatus(em, channel.id, 'connecting', 'connect_requested');
      audit(em, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'channel.connect_requested', target: { kind: 'channel', id: channel.id }, details: { method: body.pairingPhone ? 'pairing_code' : 'qr' }, ip: req.ip });
      await em.flush();
      await publishSessionCommand(deps.redis, deps.config.redisPrefix, { channelId: channel.id, action: 'connect' });
      await em.refresh(channel);
      return toChannelDto(channel);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/channels/:id/logout',
    summary: 'Log a WhatsApp number out and wipe its session keys',
    tag: 'channels',
    auth: 'channels.manage',
    status: 202,
    params: IdParams,
    response: ChannelDto,
    async handler({ deps, em, auth, params, req }) {
      const channel = await findChannel(em, auth.workspaceId, params.id);
      requireWhatsapp(channel);
      await setDesired(em, channel.id, false);
      const leases = new ChannelLeases({ redis: deps.redis, prefix: deps.config.redisPrefix, holderId: 'api', ttlMs: 1 });
      if (await leases.holder(channel.id)) {
        // The holder logs out on WhatsApp's side and wipes the keys with its fencing token.
        await publishSessionCommand(deps.redis, deps.config.redisPrefix, { channelId: channel.id, action: 'logout' });
      } else {
        // Nobody holds the session, and it is no longer wanted, so nobody will write keys again.
        await runSql(em, `delete from whatsapp_auth where channel_id = cast(:channelId as uuid)`, { channelId: channel.id });
        await setChannelStatus(em, channel.id, 'logged_out', 'logout_requested');
      }
      audit(em, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'channel.logout', target: { kind: 'channel', id: channel.id }, ip: req.ip });
      await em.flush();
      await em.refresh(channel);
      return toChannelDto(channel);
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/channels/:id/settings',
    summary: "Change a WhatsApp channel's settings (groups, owner pause, pacing)",
    tag: 'channels',
    auth: 'channels.manage',
    params: IdParams,
    body: WhatsappSettingsSchema.partial().strict(),
    response: ChannelDto,
    exampleBody: { groupsEnabled: true, pacing: { minGapMs: 5000, perMinute: 8 } },
    async handler({ deps, em, auth, params, body, req }) {
      const channel = await findChannel(em, auth.workspaceId, params.id);
      requireWhatsapp(channel);
      channel.settings = WhatsappSettingsSchema.parse({ ...channel.settings, ...body });
      audit(em, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'channel.updated', target: { kind: 'channel', id: channel.id }, details: { fields: Object.keys(body) }, ip: req.ip });
      await em.flush();
      await publishSessionCommand(deps.redis, deps.config.redisPrefix, { channelId: channel.id, action: 'reload_settings' });
      return toChannelDto(channel);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/channels/:id/events',
    summary: 'Server-sent events of a WhatsApp login: status changes, the rotating QR, the pairing code',
    tag: 'channels',
    auth: 'channels.read',
    params: IdParams,
    async handler({ deps, em, auth, params, req, res }) {
      const channel = await findChannel(em, auth.workspaceId, params.id);
      requireWhatsapp(channel);
      const events = new ChannelEvents({ redis: deps.redis, prefix: deps.config.redisPrefix });
      const write = (event: ChannelEvent) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      // Subscribe first, then send the current state, so nothing falls between the two.
      const unsubscribe = await events.subscribe(channel.id, write);
      write({ type: 'status', status: channel.status, reason: channel.statusReason ?? null, at: channel.statusChangedAt.toISOString() });
      const login = await events.latestLoginCode(channel.id);
      if (login) write(login);
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
      req.on('close', () => {
        clearInterval(keepalive);
        void unsubscribe();
      });
      return undefined;
    },
  }),
];
