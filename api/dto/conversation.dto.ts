import { z } from 'zod';
import { CONVERSATION_STATES } from '../../engine/conversations/conversation-state.ts';
import type { Conversation } from '../../platform/db/entities/conversation.entity.ts';

export const ConversationDto = z.object({
  id: z.uuid(),
  channelId: z.uuid(),
  contactId: z.uuid(),
  /** The older status (open, pending, resolved), kept readable: it follows `state`. */
  status: z.string(),
  /** bot, queued (waiting for an agent), assigned, snoozed, resolved. */
  state: z.enum(CONVERSATION_STATES),
  stateChangedAt: z.string(),
  assigneeUserId: z.uuid().nullable(),
  teamId: z.uuid().nullable(),
  botPaused: z.boolean(),
  /** When it entered the human queue (oldest first); null while the bot has it. */
  queuedAt: z.string().nullable(),
  snoozedUntil: z.string().nullable(),
  /** The hand-off's note, shown to the agent. */
  handoffNote: z.string().nullable(),
  lastMessageAt: z.string(),
  createdAt: z.string(),
});

export function toConversationDto(c: Conversation): z.infer<typeof ConversationDto> {
  return {
    id: c.id,
    channelId: c.channelId,
    contactId: c.contactId,
    status: c.status,
    state: c.state,
    stateChangedAt: c.stateChangedAt.toISOString(),
    assigneeUserId: c.assigneeUserId ?? null,
    teamId: c.teamId ?? null,
    botPaused: c.botPaused,
    queuedAt: c.queuedAt?.toISOString() ?? null,
    snoozedUntil: c.snoozedUntil?.toISOString() ?? null,
    handoffNote: c.handoffNote ?? null,
    lastMessageAt: c.lastMessageAt.toISOString(),
    createdAt: c.createdAt.toISOString(),
  };
}
