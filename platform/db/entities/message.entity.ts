import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { MessageStatus, StatusTimes } from '../../../engine/messages/message-status.ts';
import type { MediaRef } from '../../../engine/messages/message-content.ts';

export const MessageSchema = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    /** UUIDv7: time-ordered. */
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    channelId: p.uuid(),
    conversationId: p.uuid(),
    contactId: p.uuid(),
    direction: p.enum(['inbound', 'outbound'] as const),
    sender: p.enum(['contact', 'bot', 'agent', 'owner', 'broadcast'] as const),
    authorUserId: p.uuid().nullable(),
    providerMessageId: p.text().nullable(),
    idempotencyKey: p.text().nullable(),
    type: p.text(),
    text: p.text().nullable(),
    media: p.json<MediaRef>().nullable(),
    metadata: p.json<Record<string, unknown>>().default('{}'),
    status: p.text().$type<MessageStatus>(),
    statusTimes: p.json<StatusTimes>().default('{}'),
    failureReason: p.text().nullable(),
    runId: p.uuid().nullable(),
    quotedProviderMessageId: p.text().nullable(),
    editedAt: p.datetime().nullable(),
    deletedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Message = InferEntity<typeof MessageSchema>;
