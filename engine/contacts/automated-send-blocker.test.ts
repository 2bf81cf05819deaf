import { describe, expect, it } from 'vitest';
import { automatedSendBlocker } from './automated-send-blocker.ts';

const reachable = { optedOutAt: null, restrictedAt: null, erasedAt: null };
const at = new Date('2026-01-01T00:00:00Z');

describe('when the contact is reachable', () => {
  it('lets every sender through', () => {
    for (const sender of ['bot', 'broadcast', 'agent', 'owner'] as const) expect(automatedSendBlocker(reachable, sender)).toBeNull();
  });
});

describe('when the contact opted out', () => {
  it('refuses bots and broadcasts', () => {
    expect(automatedSendBlocker({ ...reachable, optedOutAt: at }, 'bot')).toBe('opted_out');
    expect(automatedSendBlocker({ ...reachable, optedOutAt: at }, 'broadcast')).toBe('opted_out');
  });

  it('still lets an agent answer', () => {
    expect(automatedSendBlocker({ ...reachable, optedOutAt: at }, 'agent')).toBeNull();
  });
});

describe('when the contact is restricted or erased', () => {
  it('refuses automation and names erasure first', () => {
    expect(automatedSendBlocker({ ...reachable, restrictedAt: at }, 'bot')).toBe('restricted');
    expect(automatedSendBlocker({ optedOutAt: at, restrictedAt: at, erasedAt: at }, 'broadcast')).toBe('erased');
  });
});
