import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { CONVERSATION_STATES } from '../../../engine/conversations/conversation-state.ts';
import { CONVERSATION_STATUSES } from '../../../engine/conversations/conversation-status.ts';

export const ConversationSchema = defineEntity({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    channelId: p.uuid(),
    contactId: p.uuid(),
    status: p.enum([...CONVERSATION_STATUSES]).default('open'),
    assigneeUserId: p.uuid().nullable(),
    teamId: p.uuid().nullable(),
    botPaused: p.boolean().default(false),
    /** The support inbox's state (the truth; status and botPaused follow it). Written by platform/inbox only. */
    state: p.enum([...CONVERSATION_STATES]).default('bot'),
    stateChangedAt: p.datetime().onCreate(() => new Date()),
    queuedAt: p.datetime().nullable(),
    snoozedUntil: p.datetime().nullable(),
    handoffNote: p.text().nullable(),
    lastMessageAt: p.datetime().onCreate(() => new Date()),
    lastInboundAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    resolvedAt: p.datetime().nullable(),
  },
});
export type Conversation = InferEntity<typeof ConversationSchema>;
