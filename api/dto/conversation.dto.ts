import { z } from 'zod';
import type { Conversation } from '../../platform/db/entities/conversation.entity.ts';

export const ConversationDto = z.object({
  id: z.uuid(),
  channelId: z.uuid(),
  contactId: z.uuid(),
  status: z.string(),
  assigneeUserId: z.uuid().nullable(),
  teamId: z.uuid().nullable(),
  botPaused: z.boolean(),
  lastMessageAt: z.string(),
  createdAt: z.string(),
});

export function toConversationDto(c: Conversation): z.infer<typeof ConversationDto> {
  return {
    id: c.id,
    channelId: c.channelId,
    contactId: c.contactId,
    status: c.status,
    assigneeUserId: c.assigneeUserId ?? null,
    teamId: c.teamId ?? null,
    botPaused: c.botPaused,
    lastMessageAt: c.lastMessageAt.toISOString(),
    createdAt: c.createdAt.toISOString(),
  };
}
