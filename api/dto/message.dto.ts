import { z } from 'zod';
import type { Message } from '../../platform/db/entities/message.entity.ts';

export const MessageDto = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  direction: z.enum(['inbound', 'outbound']),
  sender: z.string(),
  type: z.string(),
  text: z.string().nullable(),
  media: z.record(z.string(), z.unknown()).nullable(),
  status: z.string(),
  statusTimes: z.record(z.string(), z.string()),
  failureReason: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  createdAt: z.string(),
});

export function toMessageDto(m: Message): z.infer<typeof MessageDto> {
  return {
    id: m.id,
    conversationId: m.conversationId,
    direction: m.direction,
    sender: m.sender,
    type: m.type,
    text: m.deletedAt ? null : (m.text ?? null),
    media: m.deletedAt ? null : (m.media ?? null),
    status: m.status,
    statusTimes: m.statusTimes as Record<string, string>,
    failureReason: m.failureReason ?? null,
    providerMessageId: m.providerMessageId ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}
