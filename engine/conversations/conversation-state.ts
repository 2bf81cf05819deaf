import type { ConversationStatus } from './conversation-status.ts';

/**
 * A conversation's place in the support inbox (see platform/inbox/README.md):
 * `bot` (automation answers) → `queued` (waiting for a human, bot paused) → `assigned` (an agent
 * owns it) → `resolved` (the contact's next message starts a fresh conversation the bot answers);
 * `snoozed` until a time, then back to `assigned` (its agent is available) or `queued`.
 */
export const CONVERSATION_STATES = ['bot', 'queued', 'assigned', 'snoozed', 'resolved'] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

/** What moves a conversation, and from which states it may. */
export const CONVERSATION_TRANSITIONS = {
  /** A flow's hand_off node (or an agent's transfer back to a queue). */
  hand_off: ['bot'],
  /** An agent takes it for themself. */
  take: ['bot', 'queued'],
  /** A supervisor gives it to an agent, or the assigner does. */
  assign: ['bot', 'queued', 'assigned', 'snoozed'],
  /** To another team's queue (optionally straight to one of its agents). */
  transfer: ['queued', 'assigned', 'snoozed'],
  resolve: ['bot', 'queued', 'assigned', 'snoozed'],
  reopen: ['resolved'],
  snooze: ['queued', 'assigned'],
  /** Its snooze ended (or the contact wrote). */
  wake: ['snoozed'],
  /** Its agent went offline or their presence lapsed. */
  requeue: ['assigned'],
  /** Nobody took it within the team's hand-off timeout: the bot answers again. */
  timeout: ['queued'],
} as const satisfies Record<string, readonly ConversationState[]>;
export type ConversationTransition = keyof typeof CONVERSATION_TRANSITIONS;

/** True when `transition` may start from `state`. */
export function canTransition(state: ConversationState, transition: ConversationTransition): boolean {
  return (CONVERSATION_TRANSITIONS[transition] as readonly ConversationState[]).includes(state);
}

/** The older status column, kept readable: it follows the state. */
export function statusOfState(state: ConversationState): ConversationStatus {
  if (state === 'resolved') return 'resolved';
  if (state === 'queued' || state === 'snoozed') return 'pending';
  return 'open';
}

/** The bot stays quiet while a human has the conversation (queued, assigned or snoozed). */
export function botPausedInState(state: ConversationState): boolean {
  return state === 'queued' || state === 'assigned' || state === 'snoozed';
}

/** SQL for the status of a state expression (the same table as statusOfState), for statements that set both. */
export function statusOfStateSql(stateExpr: string): string {
  return `(case ${stateExpr} when 'resolved' then 'resolved' when 'queued' then 'pending' when 'snoozed' then 'pending' else 'open' end)`;
}
