/*
 * The support inbox as the API answers it (issue 15). Until the backend's DTOs are on this
 * branch these mirror api/dto/conversation.dto.ts, inbox.dto.ts, team.dto.ts and the routes'
 * answers field for field.
 */

export type ConversationState = 'bot' | 'queued' | 'assigned' | 'snoozed' | 'resolved';
export type Availability = 'online' | 'away' | 'offline';
export type TeamStrategy = 'round_robin' | 'least_busy' | 'manual';

export interface Conversation {
  id: string;
  channelId: string;
  contactId: string;
  status: string;
  state: ConversationState;
  stateChangedAt: string;
  assigneeUserId: string | null;
  teamId: string | null;
  botPaused: boolean;
  queuedAt: string | null;
  snoozedUntil: string | null;
  handoffNote: string | null;
  lastMessageAt: string;
  createdAt: string;
}

export type TimelineItem =
  | { kind: 'message'; at: string; id: string; direction: 'inbound' | 'outbound'; sender: string; authorUserId: string | null; type: string; text: string | null; media: Record<string, unknown> | null; status: string }
  | { kind: 'note'; at: string; id: string; authorUserId: string | null; text: string }
  | { kind: 'event'; at: string; id: string; actorKind: string; actorUserId: string | null; fromState: string; toState: string; fromAssigneeUserId: string | null; toAssigneeUserId: string | null; teamId: string | null; reason: string }
  | { kind: 'run'; at: string; id: string; flowId: string; status: string; endedAt: string | null };

export interface ConversationNote {
  id: string;
  conversationId: string;
  authorUserId: string | null;
  text: string;
  createdAt: string;
}

export interface MyAvailability {
  availability: Availability;
  connected: boolean;
  load: number;
  lastSeenAt: string | null;
}

export interface InboxAgent {
  userId: string;
  name: string | null;
  email: string;
  availability: Availability;
  connected: boolean;
  load: number;
  capacity: number;
  teamIds: string[];
}

export interface TeamFigures {
  teamId: string;
  name: string;
  queued: number;
  assigned: number;
  longestWaitSeconds: number | null;
  overSla: number;
  waitP50Seconds: number | null;
  waitP90Seconds: number | null;
}

export interface Team {
  id: string;
  name: string;
  strategy: TeamStrategy;
  sticky: boolean;
  defaultCapacity: number;
  isDefault: boolean;
  handoffTimeoutSeconds: number | null;
  handoffTimeoutMessage: string | null;
  autoResolveHours: number | null;
  members: { userId: string; capacity: number | null }[];
  createdAt: string;
  updatedAt: string;
}
export type TeamInput = Omit<Team, 'id' | 'createdAt' | 'updatedAt'>;

export interface RoutingRule {
  id: string;
  name: string;
  position: number;
  condition: unknown;
  teamId: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CannedResponse {
  id: string;
  shortcut: string;
  title: string;
  text: string;
  createdAt: string;
  updatedAt: string;
}

export interface Contact {
  id: string;
  phone: string | null;
  name: string | null;
  attributes: Record<string, unknown>;
  tags: string[];
  optedOut: boolean;
  restricted: boolean;
  legalHold: boolean;
  erased: boolean;
  createdAt: string;
  lastSeenAt: string | null;
}

/** One event of the inbox's live stream (GET /inbox/events). */
export type InboxStreamEvent =
  | { type: 'conversation'; eventId: string; workspaceId: string; conversationId: string; teamId: string | null; fromState: ConversationState; toState: ConversationState; fromAssigneeUserId: string | null; toAssigneeUserId: string | null; reason: string; at: string }
  | { type: 'message'; workspaceId: string; conversationId: string; messageId: string; direction: 'inbound' | 'outbound' };
