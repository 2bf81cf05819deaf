import { z } from 'zod';
import { MAX_TEXT_CHARS, MediaRefSchema, MESSAGE_TYPES } from '../../engine/messages/message-content.ts';

/**
 * What a caller (the API, a flow step, a broadcast) asks the outbox to send. The idempotency key
 * is required: it is what makes a retried request, or a step re-run after a crash, send once.
 */
export const OutboundRequestSchema = z
  .object({
    workspaceId: z.uuid(),
    conversationId: z.uuid(),
    /** Defaults to the conversation's; when given it must be the conversation's. */
    channelId: z.uuid().optional(),
    contactId: z.uuid().optional(),
    type: z.enum(MESSAGE_TYPES),
    text: z.string().min(1).max(MAX_TEXT_CHARS).optional(),
    media: MediaRefSchema.optional(),
    idempotencyKey: z.string().min(1).max(300),
    sender: z.enum(['bot', 'agent', 'broadcast']),
    authorUserId: z.uuid().optional(),
    runId: z.uuid().optional(),
  })
  .refine((r) => r.type !== 'text' || r.text !== undefined, { message: 'a text message needs text', path: ['text'] })
  .refine((r) => r.text !== undefined || r.media !== undefined, { message: 'a message needs text or media', path: ['text'] });

export type OutboundRequest = z.input<typeof OutboundRequestSchema>;
