import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { toE164 } from '../../engine/contacts/phone.ts';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { WrongChannelKindError } from '../../engine/errors/wrong-channel-kind.error.ts';
import { MAX_TEXT_CHARS } from '../../engine/messages/message-content.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { ChannelSchema, type Channel } from '../../platform/db/entities/channel.entity.ts';
import { newId } from '../../platform/ids.ts';
import { ChannelDto, toChannelDto } from '../dto/channel.dto.ts';
import { WebhookSettingsSchema } from '../../connectors/webhook/channel-payloads.ts';
import { sealWebhookSecret } from '../../connectors/webhook/channel-secret.ts';
import { newWebhookSecret } from '../../connectors/webhook/webhook-signature.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });

/** A phone written by a person: normalised to E.164, refused with a clear message otherwise. */
export const PhoneInput = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const phone = toE164(value);
    if (!phone) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be the full number in international format (E.164): + then the country code and the number, such as +5511999998888',
      });
      return z.NEVER;
    }
    return phone;
  });

/** The channel with this id in the caller's workspace, or NotFoundError. Deleted channels are gone. */
export async function findChannel(em: EntityManager, workspaceId: string, id: string): Promise<Channel> {
  const channel = await em.findOne(ChannelSchema, { id, workspaceId, deletedAt: null });
  if (!channel) throw new NotFoundError('channel', id);
  return channel;
}

export const channelRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/channels',
    summary: 'Channels of the workspace',
    tag: 'channels',
    auth: 'channels.read',
    response: z.object({ items: z.array(ChannelDto) }),
    async handler({ em, auth }) {
      const channels = await em.find(ChannelSchema, { workspaceId: auth.workspaceId, deletedAt: null }, { orderBy: { createdAt: 'asc' } });
      return { items: channels.map(toChannelDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/channels',
    summary:
      'Add a channel: a sandbox (connected at once), a WhatsApp number (then POST /connect) or a webhook to another service (url; the signing secret is in this response only)',
    tag: 'channels',
    auth: 'channels.manage',
    status: 201,
    body: z
      .object({
        kind: z.enum(['sandbox', 'whatsapp', 'webhook'], { error: "kind must be 'sandbox', 'whatsapp' or 'webhook'" }),
        name: z.string().trim().min(1).max(100),
        /** For a webhook channel: where outbound messages are POSTed. */
        url: WebhookSettingsSchema.shape.url.optional(),
      })
      .refine((b) => (b.kind === 'webhook') === (b.url !== undefined), {
        message: 'url is required for a webhook channel, and only for it',
        path: ['url'],
      }),
    response: ChannelDto,
    exampleBody: { kind: 'sandbox', name: 'Test chat' },
    async handler({ deps, em, auth, body, req }) {
      const now = deps.clock.now();
      if (body.kind === 'webhook') {
        const id = newId();
        const secret = newWebhookSecret();
        const channel = em.create(ChannelSchema, {
          id,
          workspaceId: auth.workspaceId,
          kind: 'webhook',
          name: body.name,
          status: 'connected',
          displayIdentifier: new URL(body.url!).host,
          settings: { url: body.url! },
          credentials: sealWebhookSecret(deps.config.secretKey, id, secret),
          createdAt: now,
          updatedAt: now,
          statusChangedAt: now,
        });
        audit(em, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'channel.created',
          target: { kind: 'channel', id },
          details: { kind: body.kind },
          ip: req.ip,
        });
        await em.flush();
        await deps.channels.channelAdded(id);
        return { ...toChannelDto(channel), webhookSecret: secret };
      }
      // A sandbox has no phone to pair: it is connected from the start. A WhatsApp number waits for a login.
      if (body.kind === 'whatsapp') {
        // Counted and added in one transaction, under the plan-limit lock: two additions at once cannot both pass.
        const channel = await em.transactional(async (tx) => {
          await deps.billing.assertCanAdd(tx, auth.workspaceId, 'numbers');
          const created = tx.create(ChannelSchema, {
            id: newId(),
            workspaceId: auth.workspaceId,
            kind: body.kind,
            name: body.name,
            status: 'disconnected',
            statusReason: 'not_connected',
            createdAt: now,
            updatedAt: now,
            statusChangedAt: now,
          });
          audit(tx, {
            workspaceId: auth.workspaceId,
            actor: actorOf(auth),
            action: 'channel.created',
            target: { kind: 'channel', id: created.id },
            details: { kind: body.kind },
            ip: req.ip,
          });
          return created;
        });
        await deps.channels.channelAdded(channel.id);
        return toChannelDto(channel);
      }
      const channel =
        body.kind === 'sandbox'
          ? em.create(ChannelSchema, {
              id: newId(),
              workspaceId: auth.workspaceId,
              kind: body.kind,
              name: body.name,
              status: 'connected',
              displayIdentifier: 'sandbox',
              createdAt: now,
              updatedAt: now,
              statusChangedAt: now,
            })
          : em.create(ChannelSchema, {
              id: newId(),
              workspaceId: auth.workspaceId,
              kind: body.kind,
              name: body.name,
              status: 'disconnected',
              statusReason: 'not_connected',
              createdAt: now,
              updatedAt: now,
              statusChangedAt: now,
            });
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'channel.created',
        target: { kind: 'channel', id: channel.id },
        details: { kind: body.kind },
        ip: req.ip,
      });
      await em.flush();
      await deps.channels.channelAdded(channel.id);
      return toChannelDto(channel);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/channels/:id',
    summary: 'One channel',
    tag: 'channels',
    auth: 'channels.read',
    params: IdParams,
    response: ChannelDto,
    async handler({ em, auth, params }) {
      return toChannelDto(await findChannel(em, auth.workspaceId, params.id));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/channels/:id',
    summary: 'Rename a channel',
    tag: 'channels',
    auth: 'channels.manage',
    params: IdParams,
    body: z.object({ name: z.string().trim().min(1).max(100) }).strict(),
    response: ChannelDto,
    exampleBody: { name: 'Renamed channel' },
    async handler({ em, auth, params, body, req }) {
      const channel = await findChannel(em, auth.workspaceId, params.id);
      channel.name = body.name;
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'channel.updated',
        target: { kind: 'channel', id: channel.id },
        details: { fields: ['name'] },
        ip: req.ip,
      });
      await em.flush();
      return toChannelDto(channel);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/channels/:id',
    summary: 'Remove a channel; its conversations stay until retention deletes them',
    tag: 'channels',
    auth: 'channels.manage',
    params: IdParams,
    async handler({ deps, em, auth, params, req }) {
      const channel = await findChannel(em, auth.workspaceId, params.id);
      channel.deletedAt = deps.clock.now();
      channel.status = 'disconnected';
      channel.statusReason = 'deleted';
      channel.credentials = null;
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'channel.deleted',
        target: { kind: 'channel', id: channel.id },
        ip: req.ip,
      });
      await em.flush();
      if (channel.kind === 'whatsapp') await deps.channelSessions.remove(channel.id);
      return undefined;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/channels/:id/sandbox/inbound',
    summary: 'Act as a contact writing to a sandbox channel',
    tag: 'channels',
    auth: 'channels.simulate',
    status: 202,
    params: IdParams,
    body: z.object({
      from: PhoneInput,
      text: z.string().min(1).max(MAX_TEXT_CHARS),
      name: z.string().trim().min(1).max(200).optional(),
      id: z.string().min(1).max(200).optional(),
    }),
    response: z.object({ messageId: z.uuid(), conversationId: z.uuid(), contactId: z.uuid(), duplicate: z.boolean() }),
    exampleBody: { from: '+15551234567', text: 'hi', name: 'Sam' },
    async handler(ctx) {
      const { deps, auth, params, body } = ctx;
      // The channel's facts, not its row: this route takes every simulated inbound message (the entity manager is forked only on a first look-up).
      const kind = await deps.channelFacts.kindOf(() => ctx.em, auth.workspaceId, params.id);
      if (kind !== 'sandbox') throw new WrongChannelKindError(params.id, 'sandbox', kind);
      const accepted = await deps.inbound.accept({
        channelId: params.id,
        providerMessageId: body.id ?? newId(),
        from: { phone: body.from, name: body.name, externalIds: [] },
        type: 'text',
        text: body.text,
      });
      return {
        messageId: accepted.messageId,
        conversationId: accepted.conversationId,
        contactId: accepted.contactId,
        duplicate: accepted.duplicate,
      };
    },
  }),
];
