import { z } from 'zod';
import { CONVERSATION_STATES } from '../../engine/conversations/conversation-state.ts';
import { ConversationDto } from './conversation.dto.ts';

/*
 * The support inbox's answers (issue 15): the routes answer these schemas, the OpenAPI document
 * describes them, and the editor infers its types from them (editor/src/api/api-types.ts).
 */

export const AVAILABILITIES = ['online', 'away', 'offline'] as const;

export const AvailabilityDto = z.object({
  availability: z.enum(AVAILABILITIES),
  /** Their inbox's live connection was seen within the grace period: an online agent who is not connected gets nothing new. */
  connected: z.boolean(),
  load: z.number(),
  lastSeenAt: z.string().nullable(),
});

export const InboxAgentDto = z.object({
  userId: z.uuid(),
  name: z.string().nullable(),
  email: z.string(),
  availability: z.enum(AVAILABILITIES),
  connected: z.boolean(),
  load: z.number(),
  capacity: z.number(),
  teamIds: z.array(z.uuid()),
});

export const TeamFiguresDto = z.object({
  teamId: z.uuid(),
  name: z.string(),
  queued: z.number(),
  assigned: z.number(),
  longestWaitSeconds: z.number().nullable(),
  overSla: z.number(),
  waitP50Seconds: z.number().nullable(),
  waitP90Seconds: z.number().nullable(),
});

/** GET /inbox/overview: each team's figures. */
export const InboxOverviewDto = z.object({ teams: z.array(TeamFiguresDto) });

export const RoutingRuleDto = z.object({
  id: z.uuid(),
  name: z.string(),
  position: z.number(),
  condition: z.unknown(),
  teamId: z.uuid(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const CannedResponseDto = z.object({
  id: z.uuid(),
  shortcut: z.string(),
  title: z.string(),
  /** Its own text (with {{variables}}); null when it inserts a saved template instead. */
  text: z.string().nullable(),
  /** The saved template it inserts (the contact's language variant, filled in); null for a text. */
  template: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** A canned response filled in for one conversation's contact, for the agent to edit and send. */
export const CannedRenderDto = z.object({
  text: z.string(),
  /** The template variant's media URL, filled in: inbox replies carry text only, so the agent is told it is not attached. */
  mediaUrl: z.string().nullable(),
  /** The template's variant chosen by the contact's `language` attribute (else its fallback); null for a text. */
  language: z.string().nullable(),
  /** The template and the version rendered (its current one); null for a text. */
  template: z.object({ id: z.uuid(), name: z.string(), version: z.number().int() }).nullable(),
});

/** The latest message of a conversation, as the list shows it. */
export const LastMessageDto = z.object({
  /** The start of its text (or the caption of its media); null for media without a caption. */
  excerpt: z.string().nullable(),
  type: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  /** contact, bot, agent, owner (from the phone), broadcast. */
  sender: z.string(),
  /** The agent who wrote it, for an agent's reply. */
  authorUserId: z.uuid().nullable(),
  at: z.string(),
});

/** A conversation in the inbox's list: who it is with, what was said last, and what the caller has not read. */
export const ConversationListItemDto = ConversationDto.extend({
  contact: z.object({ name: z.string().nullable(), phone: z.string().nullable() }),
  lastMessage: LastMessageDto.nullable(),
  /** Messages from the contact after the caller's read position (at most 99 are counted). */
  unreadCount: z.number().int(),
});

/** The caller's read position in a conversation. */
export const ReadMarkerDto = z.object({
  conversationId: z.uuid(),
  lastReadMessageId: z.uuid().nullable(),
  readAt: z.string().nullable(),
  unreadCount: z.number().int(),
});

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

/** A reaction on a message: by the contact, or by us (`fromUs`: the channel's own number). */
export const ReactionDto = z.object({ emoji: z.string(), fromUs: z.boolean(), at: z.string().nullable() });

/** A message's media as the timeline shows it: what it is, and the same-origin address that serves the file (null when we do not hold it). */
export const TimelineMediaDto = z.object({
  mimeType: z.string().nullable(),
  fileName: z.string().nullable(),
  caption: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  url: z.string().nullable(),
});

/** One entry of a conversation's timeline: a message, an internal note, a state change or a run. */
export const TimelineItemDto = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message'),
    at: z.string(),
    id: z.uuid(),
    direction: z.enum(['inbound', 'outbound']),
    sender: z.string(),
    authorUserId: z.uuid().nullable(),
    type: z.string(),
    text: z.string().nullable(),
    media: TimelineMediaDto.nullable(),
    status: z.string(),
    reactions: z.array(ReactionDto),
  }),
  z.object({ kind: z.literal('note'), at: z.string(), id: z.uuid(), authorUserId: z.uuid().nullable(), text: z.string() }),
  z.object({
    kind: z.literal('event'),
    at: z.string(),
    id: z.uuid(),
    actorKind: z.string(),
    actorUserId: z.uuid().nullable(),
    fromState: z.string(),
    toState: z.string(),
    fromAssigneeUserId: z.uuid().nullable(),
    toAssigneeUserId: z.uuid().nullable(),
    teamId: z.uuid().nullable(),
    reason: z.string(),
  }),
  z.object({ kind: z.literal('run'), at: z.string(), id: z.uuid(), flowId: z.uuid(), status: z.string(), endedAt: z.string().nullable() }),
]);

/**
 * One event of the inbox's live stream (GET /v1/inbox/events; the SSE event's name is its `type`):
 * a conversation changed state or owner, or a conversation has a new message. The route checks at
 * compile time that what the inbox bus publishes (platform/inbox/inbox-effects.ts) is this.
 */
export const InboxStreamEventDto = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('conversation'),
    eventId: z.uuid(),
    workspaceId: z.uuid(),
    conversationId: z.uuid(),
    teamId: z.uuid().nullable(),
    fromState: z.enum(CONVERSATION_STATES),
    toState: z.enum(CONVERSATION_STATES),
    fromAssigneeUserId: z.uuid().nullable(),
    toAssigneeUserId: z.uuid().nullable(),
    reason: z.string(),
    at: z.string(),
  }),
  z.object({
    type: z.literal('message'),
    workspaceId: z.uuid(),
    conversationId: z.uuid(),
    messageId: z.uuid(),
    direction: z.enum(['inbound', 'outbound']),
  }),
]);
