import { describe, expect, it } from 'vitest';
import { botPausedInState, canTransition, CONVERSATION_STATES, statusOfState } from './conversation-state.ts';

describe('conversation states', () => {
  it('keeps the older status readable for every state', () => {
    expect(CONVERSATION_STATES.map(statusOfState)).toEqual(['open', 'pending', 'open', 'pending', 'resolved']);
  });

  it('pauses the bot only while a human has the conversation', () => {
    expect(CONVERSATION_STATES.filter(botPausedInState)).toEqual(['queued', 'assigned', 'snoozed']);
  });

  it('reopens only a resolved conversation and times out only a queued one', () => {
    expect(CONVERSATION_STATES.filter((s) => canTransition(s, 'reopen'))).toEqual(['resolved']);
    expect(CONVERSATION_STATES.filter((s) => canTransition(s, 'timeout'))).toEqual(['queued']);
    expect(canTransition('resolved', 'take')).toBe(false);
  });
});
