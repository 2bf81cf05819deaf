import { z } from 'zod';
import { WebhookEventTypeSchema } from '../../engine/webhooks/webhook-event-type.ts';
import type { WebhookEndpoint } from '../../platform/webhooks/webhook-endpoints.ts';
import type { AttemptLine, DeliverySummary } from '../../platform/webhooks/webhook-deliveries.sql.ts';

export const WebhookUrlInput = z.string().trim().min(1, 'the address is required').max(2_000);
export const WebhookEventTypesInput = z
  .array(WebhookEventTypeSchema)
  .min(1, 'choose at least one event')
  .max(20)
  .transform((types) => [...new Set(types)]);
export const WebhookDescriptionInput = z.string().trim().max(200);

export const WebhookEndpointDto = z.object({
  id: z.uuid(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(WebhookEventTypeSchema),
  enabled: z.boolean(),
  /** `failing`: disabled by the server after failing for a day; `turned_off`: by a person. */
  disabledReason: z.enum(['failing', 'turned_off']).nullable(),
  disabledAt: z.string().nullable(),
  failingSince: z.string().nullable(),
  /** While set, deliveries are signed with the previous secret too (after a rotation). */
  previousSecretValidUntil: z.string().nullable(),
  recent: z.object({ succeeded: z.number(), failed: z.number(), pending: z.number() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function toWebhookEndpointDto(e: WebhookEndpoint, now: Date): z.infer<typeof WebhookEndpointDto> {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    disabledAt: iso(e.disabledAt),
    failingSince: iso(e.failingSince),
    previousSecretValidUntil: e.previousSecretExpiresAt && e.previousSecretExpiresAt > now ? e.previousSecretExpiresAt.toISOString() : null,
    recent: { succeeded: Number(e.recent.succeeded), failed: Number(e.recent.failed), pending: Number(e.recent.pending) },
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export const WebhookDeliveryDto = z.object({
  id: z.uuid(),
  endpointId: z.uuid(),
  /** The `webhook-id` header of every attempt: receivers deduplicate by it. */
  eventId: z.uuid(),
  type: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  failureReason: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  createdAt: z.string(),
});

export function toWebhookDeliveryDto(d: DeliverySummary): z.infer<typeof WebhookDeliveryDto> {
  return { ...d, nextAttemptAt: iso(d.nextAttemptAt), lastAttemptAt: iso(d.lastAttemptAt), createdAt: d.createdAt.toISOString() };
}

export const WebhookAttemptDto = z.object({
  id: z.uuid(),
  attemptedAt: z.string(),
  manual: z.boolean(),
  statusCode: z.number().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
});

export const WebhookDeliveryDetailDto = WebhookDeliveryDto.extend({ payload: z.unknown(), attemptLog: z.array(WebhookAttemptDto) });

export function toWebhookAttemptDto(a: AttemptLine): z.infer<typeof WebhookAttemptDto> {
  return { ...a, attemptedAt: a.attemptedAt.toISOString() };
}

/** The signing secret (whsec_…), answered on creation and rotation only. */
const WebhookSecretDto = z.object({
  secret: z.string().describe('the signing secret (whsec_…): shown this once, store it in the receiver'),
});
/** A new endpoint, with its signing secret shown this once. */
export const CreatedWebhookEndpointDto = WebhookEndpointDto.extend(WebhookSecretDto.shape);
/** A rotated secret, and until when the previous one still signs. */
export const RotatedWebhookSecretDto = WebhookSecretDto.extend({ previousValidUntil: z.string() });
