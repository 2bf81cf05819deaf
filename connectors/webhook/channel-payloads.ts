import { z } from 'zod';
import { MAX_TEXT_CHARS } from '../../engine/messages/message-content.ts';

/** The channel's settings: where outbound messages are POSTed. */
export const WebhookSettingsSchema = z.object({ url: z.url({ protocol: /^https?$/ }) });

const Phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +15551234567');

/** A message from the other service: idempotent by `id`, the sender's own message id. */
const InboundMessageEvent = z.object({
  event: z.literal('message'),
  id: z.string().min(1).max(200),
  from: z.object({ id: z.string().min(1).max(200), phone: Phone.optional(), name: z.string().max(200).optional() }),
  type: z.enum(['text', 'image', 'video', 'audio', 'document']).default('text'),
  text: z.string().max(MAX_TEXT_CHARS).optional(),
  media: z
    .object({
      url: z.url({ protocol: /^https?$/ }),
      mimeType: z.string().max(200).optional(),
      fileName: z.string().max(500).optional(),
      caption: z.string().max(4096).optional(),
    })
    .optional(),
  replyTo: z.string().max(200).optional(),
  sentAt: z.coerce.date().optional(),
});

/** A delivery status for one of our outbound messages (`messageId` is the id we sent it with, or the one the service answered). */
const StatusEvent = z.object({
  event: z.literal('status'),
  messageId: z.string().min(1).max(200),
  status: z.enum(['delivered', 'read', 'failed']),
  reason: z.string().max(500).optional(),
  at: z.coerce.date().optional(),
});

export const WebhookInboundSchema = z.discriminatedUnion('event', [InboundMessageEvent, StatusEvent]);
export type WebhookInbound = z.infer<typeof WebhookInboundSchema>;
