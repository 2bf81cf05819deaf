import { z } from 'zod';
import { MAX_TEXT_CHARS, MediaRefSchema, MESSAGE_TYPES } from '../messages/message-content.ts';

/** How the sender is known to the channel: a phone (E.164) and/or a channel-side id. */
export const InboundSenderSchema = z
  .object({
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +15551234567')
      .optional(),
    /** A channel-side id such as a WhatsApp JID or LID, or a webhook sender id. */
    externalIds: z
      .array(z.object({ kind: z.enum(['wa_jid', 'wa_lid', 'external']), value: z.string().min(1).max(200) }))
      .max(4)
      .default([]),
    name: z.string().max(200).optional(),
  })
  .refine((s) => s.phone !== undefined || s.externalIds.length > 0, { message: 'a sender needs a phone or an external id' });

/**
 * A message as every connector hands it to the inbound pipeline, after normalisation.
 * `providerMessageId` is the channel's own id; with `channelId` it deduplicates.
 */
export const InboundMessageSchema = z.object({
  channelId: z.uuid(),
  providerMessageId: z.string().min(1).max(200),
  from: InboundSenderSchema,
  type: z.enum(MESSAGE_TYPES),
  text: z.string().max(MAX_TEXT_CHARS).optional(),
  media: MediaRefSchema.optional(),
  quotedProviderMessageId: z.string().max(200).optional(),
  /** When the provider says the message was sent; defaults to the time of acceptance. */
  sentAt: z.coerce.date().optional(),
  /** Provider details kept with the message (for `unsupported`, the provider's type name). */
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type InboundMessage = z.input<typeof InboundMessageSchema>;
export type NormalisedInbound = z.output<typeof InboundMessageSchema>;

/** What the pipeline answers once a message is persisted (accepted means persisted). */
export interface AcceptedInbound {
  messageId: string;
  workspaceId: string;
  channelId: string;
  conversationId: string;
  contactId: string;
  /** True when this provider id was seen before: nothing new was stored. */
  duplicate: boolean;
  /** The conversation was snoozed when this message was stored (false for a duplicate). */
  conversationSnoozed: boolean;
}

/** The engine's side of the hand-off: called after commit for every new (non-duplicate) message. */
export type InboundListener = (accepted: AcceptedInbound) => Promise<void>;

/**
 * Where connectors hand what they receive. `acceptOwnerMessage`: a message the channel's owner
 * sent from their own device (WhatsApp on the phone), in a chat the product may not know yet; it
 * is stored as an outbound message by the owner, with its contact and conversation, and starts
 * no flow.
 */
export interface InboundSink {
  accept(message: InboundMessage): Promise<AcceptedInbound>;
  acceptOwnerMessage(message: InboundMessage): Promise<AcceptedInbound>;
}
