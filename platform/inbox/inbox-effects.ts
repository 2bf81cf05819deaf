import type { ConversationState } from '../../engine/conversations/conversation-state.ts';
import type { QueuedSend } from '../pipeline/outbox.ts';

/** Who moved a conversation. `flow`: a run's hand_off; `system`: a timer, the assigner, presence. */
export interface InboxActor {
  kind: 'user' | 'api_key' | 'flow' | 'system';
  userId: string | null;
}

export const SYSTEM_ACTOR: InboxActor = { kind: 'system', userId: null };

/** One transition as it was written (a `conversation_events` row), published to live inboxes after commit. */
export interface ConversationMoved {
  type: 'conversation';
  eventId: string;
  workspaceId: string;
  conversationId: string;
  teamId: string | null;
  fromState: ConversationState;
  toState: ConversationState;
  fromAssigneeUserId: string | null;
  toAssigneeUserId: string | null;
  reason: string;
  at: string;
}

/** A new message in a conversation (inbound, or a reply), for live inboxes. */
export interface ConversationMessage {
  type: 'message';
  workspaceId: string;
  conversationId: string;
  messageId: string;
  direction: 'inbound' | 'outbound';
}

export type InboxEvent = ConversationMoved | ConversationMessage;

/** A delayed job of the inbox (hand-off timeout, auto-resolve, snooze end, presence lapse). */
export type InboxTimer =
  /** One wait in the queue, named by its start (the conversation's `state_changed_at` when it was queued). */
  | { kind: 'handoff_timeout'; conversationId: string; waitStartedAt: Date; dueAt: Date }
  | { kind: 'auto_resolve'; conversationId: string; dueAt: Date }
  | { kind: 'snooze_end'; conversationId: string; dueAt: Date }
  | { kind: 'presence_lapse'; workspaceId: string; userId: string; dueAt: Date };

/** What an inbox transaction decided, done once it has committed. */
export interface InboxAfterCommit {
  events: InboxEvent[];
  /** Teams whose queue may now be assigned (capacity freed, a conversation queued, an agent back). */
  kick: Set<string>;
  timers: InboxTimer[];
  /** Messages recorded in the outbox (a hand-off timeout's message to the contact). */
  sends: QueuedSend[];
}

export function emptyInboxAfterCommit(): InboxAfterCommit {
  return { events: [], kick: new Set(), timers: [], sends: [] };
}
