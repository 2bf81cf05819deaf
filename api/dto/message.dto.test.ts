import { describe, expect, it } from 'vitest';
import type { Message } from '../../platform/db/entities/message.entity.ts';
import { toMessageDto } from './message.dto.ts';

const stored = (fields: Partial<Message>): Message =>
  ({
    id: '00000000-0000-7000-8000-000000000001',
    conversationId: '00000000-0000-7000-8000-000000000002',
    direction: 'outbound',
    sender: 'bot',
    type: 'text',
    text: 'our offer',
    media: null,
    metadata: {},
    status: 'sent',
    statusTimes: {},
    failureReason: null,
    providerMessageId: 'me/BOT1',
    deletedAt: null,
    createdAt: new Date('2026-12-06T00:00:00Z'),
    ...fields,
  }) as unknown as Message;

describe('toMessageDto', () => {
  it('shows the reactions recorded on the message, one per reactor', () => {
    const dto = toMessageDto(
      stored({ metadata: { reactions: { '15551234567@s.whatsapp.net': { emoji: '❤️', at: '2026-12-06T00:01:00.000Z' } } } }),
    );
    expect(dto.reactions).toEqual([{ by: '15551234567@s.whatsapp.net', emoji: '❤️', at: '2026-12-06T00:01:00.000Z' }]);
  });

  it('shows no reactions on a deleted message, nor when the stored ones are unreadable', () => {
    expect(toMessageDto(stored({ deletedAt: new Date(), metadata: { reactions: { x: { emoji: '👍' } } } })).reactions).toEqual([]);
    expect(toMessageDto(stored({ metadata: { reactions: 'not a map' } })).reactions).toEqual([]);
  });
});
