import { z } from 'zod';
import type { Message } from '../../platform/db/entities/message.entity.ts';

/** A reply accepted for sending (202): its message, and whether this call made it (false: the same clientMessageId was sent before). */
export const SentMessageDto = z.object({ messageId: z.uuid(), created: z.boolean() });

export const MessageDto = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  direction: z.enum(['inbound', 'outbound']),
  /** Who sent it: `contact`, `bot`, `agent` (a person in the inbox; `authorUserId` says who), `owner`, `broadcast`. */
  sender: z.string(),
  authorUserId: z.uuid().nullable(),
  type: z.string(),
  text: z.string().nullable(),
  media: z.record(z.string(), z.unknown()).nullable(),
  status: z.string(),
  statusTimes: z.record(z.string(), z.string()),
  failureReason: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  /** Reactions on this message, one per person (WhatsApp): `by` is the reactor's channel id, "me" for the channel's owner. */
  reactions: z.array(z.object({ by: z.string(), emoji: z.string(), at: z.string().nullable() })),
  /** What the automation did with a test chat message (`started`, `resumed`, `no_match`…), with words when it did nothing; null otherwise. */
  outcome: z.object({ code: z.string(), explanation: z.string().nullable() }).nullable(),
  createdAt: z.string(),
});

const StoredOutcomeSchema = z.object({ code: z.string(), explanation: z.string().nullable() });

const StoredReactionsSchema = z.record(z.string(), z.object({ emoji: z.string(), at: z.string().nullish() }));

/** The reactions a connector recorded in the message's metadata; anything unreadable shows as none. */
function reactionsOf(metadata: Record<string, unknown> | null | undefined): z.infer<typeof MessageDto>['reactions'] {
  const parsed = StoredReactionsSchema.safeParse(metadata?.reactions);
  if (!parsed.success) return [];
  return Object.entries(parsed.data).map(([by, r]) => ({ by, emoji: r.emoji, at: r.at ?? null }));
}

export function toMessageDto(m: Message): z.infer<typeof MessageDto> {
  return {
    id: m.id,
    conversationId: m.conversationId,
    direction: m.direction,
    sender: m.sender,
    authorUserId: m.authorUserId ?? null,
    type: m.type,
    text: m.deletedAt ? null : (m.text ?? null),
    media: m.deletedAt ? null : (m.media ?? null),
    status: m.status,
    statusTimes: m.statusTimes as Record<string, string>,
    failureReason: m.failureReason ?? null,
    providerMessageId: m.providerMessageId ?? null,
    reactions: m.deletedAt ? [] : reactionsOf(m.metadata),
    outcome: StoredOutcomeSchema.safeParse(m.metadata?.outcome).data ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}
