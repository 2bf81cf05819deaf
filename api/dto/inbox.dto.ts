import { z } from 'zod';

export const ConversationNoteDto = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  authorUserId: z.uuid().nullable(),
  text: z.string(),
  createdAt: z.string(),
});

export const ConversationEventDto = z.object({
  id: z.uuid(),
  actorKind: z.enum(['user', 'api_key', 'flow', 'system']),
  actorUserId: z.uuid().nullable(),
  fromState: z.string(),
  toState: z.string(),
  fromAssigneeUserId: z.uuid().nullable(),
  toAssigneeUserId: z.uuid().nullable(),
  teamId: z.uuid().nullable(),
  /** Why, in words: "taken by the agent", "handed off by a flow: wants a refund". */
  reason: z.string(),
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

/** One entry of a conversation's timeline: a message, an internal note, a state change or a run. */
export const TimelineItemDto = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), at: z.string(), id: z.uuid(), direction: z.enum(['inbound', 'outbound']), sender: z.string(), authorUserId: z.uuid().nullable(), type: z.string(), text: z.string().nullable(), media: z.record(z.string(), z.unknown()).nullable(), status: z.string() }),
  z.object({ kind: z.literal('note'), at: z.string(), id: z.uuid(), authorUserId: z.uuid().nullable(), text: z.string() }),
  z.object({ kind: z.literal('event'), at: z.string(), id: z.uuid(), actorKind: z.string(), actorUserId: z.uuid().nullable(), fromState: z.string(), toState: z.string(), fromAssigneeUserId: z.uuid().nullable(), toAssigneeUserId: z.uuid().nullable(), teamId: z.uuid().nullable(), reason: z.string() }),
  z.object({ kind: z.literal('run'), at: z.string(), id: z.uuid(), flowId: z.uuid(), status: z.string(), endedAt: z.string().nullable() }),
]);
