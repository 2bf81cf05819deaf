import { z } from 'zod';
import { WEBHOOK_EVENT_LABELS, WEBHOOK_EVENT_TYPES } from '../../engine/webhooks/webhook-event-type.ts';
import { RateLimitedError } from '../../engine/errors/app-error.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { getDelivery, listDeliveries, MAX_ATTEMPTS_PER_DELIVERY } from '../../platform/webhooks/webhook-deliveries.sql.ts';
import { WebhookEndpoints } from '../../platform/webhooks/webhook-endpoints.ts';
import { redeliver } from '../../platform/webhooks/webhook-jobs.ts';
import { checkEndpointUrl } from '../../platform/webhooks/webhook-url.ts';
import {
  CreatedWebhookEndpointDto,
  RotatedWebhookSecretDto,
  toWebhookAttemptDto,
  toWebhookDeliveryDto,
  toWebhookEndpointDto,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
  WebhookDescriptionInput,
  WebhookEndpointDto,
  WebhookEventTypesInput,
  WebhookUrlInput,
} from '../dto/webhook.dto.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });

/*
 * Event webhooks: endpoints that hear of the workspace's events, signed per Standard Webhooks.
 * Owners and admins only: an endpoint receives contacts' messages. The signing secret is shown
 * on creation and rotation, never again. Every change is audited (the endpoint's id, never its
 * secret) and tells every process to re-read the workspace's subscriptions.
 */
/** How many times a delivery was attempted. */
const DeliveryAttemptsRow = z.object({ attempts: z.number() });

export const webhookRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/webhook-event-types',
    summary: 'The events an endpoint may subscribe to, with what each means',
    tag: 'webhooks',
    auth: 'webhooks.manage',
    response: z.object({ items: z.array(z.object({ type: z.string(), label: z.string() })) }),
    async handler() {
      return { items: WEBHOOK_EVENT_TYPES.map((type) => ({ type, label: WEBHOOK_EVENT_LABELS[type] })) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/webhooks',
    summary: 'Webhook endpoints of the workspace, with their deliveries of the last 24 hours',
    tag: 'webhooks',
    auth: 'webhooks.manage',
    response: z.object({ items: z.array(WebhookEndpointDto) }),
    async handler({ deps, em, auth }) {
      const now = deps.clock.now();
      const items = await new WebhookEndpoints(deps.config.secretKey).list(em, auth.workspaceId, now);
      return { items: items.map((e) => toWebhookEndpointDto(e, now)) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/webhooks',
    summary:
      'Register an endpoint for some events; the answer holds its signing secret, shown this once. A private or internal address is refused unless HTTP_ALLOW_HOSTS names it',
    tag: 'webhooks',
    auth: 'webhooks.manage',
    status: 201,
    body: z.strictObject({ url: WebhookUrlInput, description: WebhookDescriptionInput.default(''), eventTypes: WebhookEventTypesInput }),
    response: CreatedWebhookEndpointDto,
    exampleBody: { url: 'https://hooks.example.com/onemessage', description: 'CRM', eventTypes: ['message.received'] },
    async handler({ deps, em, auth, body, req }) {
      const url = checkEndpointUrl(body.url, deps.config.httpAllowHosts);
      const now = deps.clock.now();
      const created = await em.transactional(async (tx) => {
        const made = await new WebhookEndpoints(deps.config.secretKey).create(
          tx,
          auth.workspaceId,
          { url, description: body.description, eventTypes: body.eventTypes, createdBy: auth.userId },
          now,
        );
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'webhook.created',
          target: { kind: 'webhook_endpoint', id: made.endpoint.id },
          details: { eventTypes: body.eventTypes },
          ip: req.ip,
        });
        return made;
      });
      await deps.webhooks.changed(auth.workspaceId);
      return { ...toWebhookEndpointDto(created.endpoint, now), secret: created.secret };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/webhooks/:id',
    summary: 'One webhook endpoint',
    tag: 'webhooks',
    auth: 'webhooks.manage',
    params: IdParams,
    response: WebhookEndpointDto,
    async handler({ deps, em, auth, params }) {
      const now = deps.clock.now();
      return toWebhookEndpointDto(await new WebhookEndpoints(deps.config.secretKey).get(em, auth.workspaceId, params.id, now), now);
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/webhooks/:id',
    summary: "Change an endpoint: its address, description, events, or turn it off and on (on again clears a disabled endpoint's failures)",
    tag: 'webhooks',
    auth: 'webhooks.manage',
    params: IdParams,
    body: z.strictObject({
      url: WebhookUrlInput.optional(),
      description: WebhookDescriptionInput.optional(),
      eventTypes: WebhookEventTypesInput.optional(),
      enabled: z.boolean().optional(),
    }),
    response: WebhookEndpointDto,
    exampleBody: { description: 'CRM (production)' },
    async handler({ deps, em, auth, params, body, req }) {
      const url = body.url === undefined ? undefined : checkEndpointUrl(body.url, deps.config.httpAllowHosts);
      const now = deps.clock.now();
      const updated = await em.transactional(async (tx) => {
        const endpoint = await new WebhookEndpoints(deps.config.secretKey).update(
          tx,
          auth.workspaceId,
          params.id,
          { ...body, ...(url === undefined ? {} : { url }) },
          now,
        );
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'webhook.updated',
          target: { kind: 'webhook_endpoint', id: endpoint.id },
          details: { fields: Object.keys(body) },
          ip: req.ip,
        });
        return endpoint;
      });
      await deps.webhooks.changed(auth.workspaceId);
      return toWebhookEndpointDto(updated, now);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/webhooks/:id',
    summary: 'Delete an endpoint with its delivery log; nothing more is sent to it',
    tag: 'webhooks',
    auth: 'webhooks.manage',
    params: IdParams,
    async handler({ deps, em, auth, params, req }) {
      await em.transactional(async (tx) => {
        await new WebhookEndpoints(deps.config.secretKey).delete(tx, auth.workspaceId, params.id);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'webhook.deleted',
          target: { kind: 'webhook_endpoint', id: params.id },
          ip: req.ip,
        });
      });
      await deps.webhooks.changed(auth.workspaceId);
      return undefined;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/webhooks/:id/rotate-secret',
    summary: 'A new signing secret, shown this once; deliveries carry signatures of both the new and the previous secret for 24 hours',
    tag: 'webhooks',
    auth: 'webhooks.manage',
    params: IdParams,
    response: RotatedWebhookSecretDto,
    exampleBody: {},
    async handler({ deps, em, auth, params, req }) {
      const rotated = await em.transactional(async (tx) => {
        const r = await new WebhookEndpoints(deps.config.secretKey).rotateSecret(tx, auth.workspaceId, params.id, deps.clock.now());
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'webhook.secret_rotated',
          target: { kind: 'webhook_endpoint', id: params.id },
          ip: req.ip,
        });
        return r;
      });
      return { secret: rotated.secret, previousValidUntil: rotated.previousValidUntil.toISOString() };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/webhooks/:id/deliveries',
    summary: "The endpoint's latest deliveries, newest first (kept 7 days)",
    tag: 'webhooks',
    auth: 'webhooks.manage',
    params: IdParams,
    query: z.object({
      status: z.enum(['pending', 'succeeded', 'failed']).optional(),
      limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    }),
    response: z.object({ items: z.array(WebhookDeliveryDto) }),
    async handler({ deps, em, auth, params, query }) {
      await new WebhookEndpoints(deps.config.secretKey).get(em, auth.workspaceId, params.id, deps.clock.now());
      const items = await listDeliveries(em, auth.workspaceId, params.id, {
        ...(query.status ? { status: query.status } : {}),
        limit: query.limit,
      });
      return { items: items.map(toWebhookDeliveryDto) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/webhook-deliveries/:id',
    summary: 'One delivery: the event sent and every attempt (status, duration, the start of the answer)',
    tag: 'webhook-deliveries',
    auth: 'webhooks.manage',
    params: IdParams,
    response: WebhookDeliveryDetailDto,
    async handler({ em, auth, params }) {
      const d = await getDelivery(em, auth.workspaceId, params.id);
      return { ...toWebhookDeliveryDto(d), payload: d.payload, attemptLog: d.attemptLog.map(toWebhookAttemptDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/webhook-deliveries/:id/redeliver',
    summary:
      'Send the event again now, with the same webhook-id (receivers that already have it ignore it); also for a disabled endpoint, to test it',
    tag: 'webhook-deliveries',
    auth: 'webhooks.manage',
    params: IdParams,
    status: 202,
    response: z.object({ queued: z.literal(true) }),
    exampleBody: {},
    async handler({ deps, em, auth, params, req }) {
      const { rows } = await runSql(
        em,
        `select attempts from webhook_deliveries where id = :id and workspace_id = :workspaceId`,
        { id: params.id, workspaceId: auth.workspaceId },
        { row: DeliveryAttemptsRow },
      );
      if (!rows[0]) await getDelivery(em, auth.workspaceId, params.id);
      if (rows[0]!.attempts >= MAX_ATTEMPTS_PER_DELIVERY) throw new RateLimitedError(3_600);
      await redeliver(deps.queues, params.id);
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'webhook.redelivered',
        target: { kind: 'webhook_delivery', id: params.id },
        ip: req.ip,
      });
      await em.flush();
      return { queued: true as const };
    },
  }),
];
