import { describe, expect, it } from 'vitest';
import { lastMessageLine } from './conversation-list.tsx';

const ME = '0196a3f0-0000-7000-8000-0000000000a1';
const OTHER = '0196a3f0-0000-7000-8000-0000000000a2';
const at = '2026-12-06T10:00:00.000Z';

describe('the last message line of a conversation in the list', () => {
  it('says who wrote an outbound message: you, another agent, the bot', () => {
    expect(lastMessageLine({ excerpt: 'On its way', type: 'text', direction: 'outbound', sender: 'agent', authorUserId: ME, at }, ME)).toBe(
      'You: On its way',
    );
    expect(
      lastMessageLine({ excerpt: 'On its way', type: 'text', direction: 'outbound', sender: 'agent', authorUserId: OTHER, at }, ME),
    ).toBe('Agent: On its way');
    expect(lastMessageLine({ excerpt: 'Hello', type: 'text', direction: 'outbound', sender: 'bot', authorUserId: null, at }, ME)).toBe(
      'Bot: Hello',
    );
  });

  it("names the kind of media, with its caption, and shows the contact's words as they are", () => {
    expect(
      lastMessageLine({ excerpt: 'my receipt', type: 'image', direction: 'inbound', sender: 'contact', authorUserId: null, at }, ME),
    ).toBe('Photo: my receipt');
    expect(lastMessageLine({ excerpt: null, type: 'audio', direction: 'inbound', sender: 'contact', authorUserId: null, at }, ME)).toBe(
      'Voice message',
    );
    expect(
      lastMessageLine({ excerpt: 'where is my order?', type: 'text', direction: 'inbound', sender: 'contact', authorUserId: null, at }, ME),
    ).toBe('where is my order?');
    expect(lastMessageLine({ excerpt: null, type: 'text', direction: 'inbound', sender: 'contact', authorUserId: null, at }, ME)).toBe(
      'Deleted message',
    );
    expect(lastMessageLine(null, ME)).toBeNull();
  });
});
