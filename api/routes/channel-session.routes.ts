import { z } from 'zod';
import type { ChannelEvent } from '../../engine/channels/channel-event.ts';
import { WhatsappSettingsSchema } from '../../engine/channels/whatsapp-settings.ts';
import { WrongChannelKindError } from '../../engine/errors/wrong-channel-kind.error.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import type { Channel } from '../../platform/db/entities/channel.entity.ts';
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
      await deps.channelSessions.connect(channel.id, body.pairingPhone ?? null);
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'channel.connect_requested',
        target: { kind: 'channel', id: channel.id },
        details: { method: body.pairingPhone ? 'pairing_code' : 'qr' },
        ip: req.ip,
      });
      await em.flush();
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
      await deps.channelSessions.logout(channel.id);
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'channel.logout',
        target: { kind: 'channel', id: channel.id },
        ip: req.ip,
      });
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
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'channel.updated',
        target: { kind: 'channel', id: channel.id },
        details: { fields: Object.keys(body) },
        ip: req.ip,
      });
      await em.flush();
      await deps.channelSessions.settingsChanged(channel.id);
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
      const write = (event: ChannelEvent) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      res
        .status(200)
        .set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      // Subscribe first, then send the current state, so nothing falls between the two.
      const unsubscribe = await deps.channelSessions.subscribe(channel.id, write);
      write({ type: 'status', status: channel.status, reason: channel.statusReason ?? null, at: channel.statusChangedAt.toISOString() });
      const login = await deps.channelSessions.latestLoginCode(channel.id);
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
