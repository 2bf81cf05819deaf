import { proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { normaliseWaMessage, type NormalisedWaEvent } from './inbound-normaliser.ts';
import { content, waMessage } from './wa-messages.fixture.ts';

const CHANNEL = '00000000-0000-4000-8000-000000000001';
const ctx = { channelId: CHANNEL, groupsEnabled: false, ownJids: ['15550009999@s.whatsapp.net', '999000@lid'] };

function message(event: NormalisedWaEvent) {
  if (event.kind !== 'message') throw new Error(`expected a message, got ${event.kind}: ${JSON.stringify(event)}`);
  return event;
}

describe('normaliseWaMessage', () => {
  describe('when a contact writes text', () => {
    it('maps a plain conversation to a text message from the phone JID, with phone, name and time', () => {
      const m = message(normaliseWaMessage(waMessage({ message: content({ conversation: 'hello' }) }), ctx));
      expect(m.message).toMatchObject({
        channelId: CHANNEL,
        providerMessageId: '15551234567@s.whatsapp.net/3A0000000000000001',
        type: 'text',
        text: 'hello',
        from: { phone: '+15551234567', name: 'Sam', externalIds: [{ kind: 'wa_jid', value: '15551234567@s.whatsapp.net' }] },
      });
      expect(m.message.sentAt).toEqual(new Date(1_764_000_000 * 1000));
      expect(m.media).toBeNull();
    });

    it('maps extended text and keeps the id of the quoted message, ours when this number wrote it', () => {
      const reply = waMessage({
        message: content({
          extendedTextMessage: { text: 'yes', contextInfo: { stanzaId: 'OURS1', participant: '15550009999@s.whatsapp.net' } },
        }),
      });
      expect(message(normaliseWaMessage(reply, ctx)).message).toMatchObject({
        type: 'text',
        text: 'yes',
        quotedProviderMessageId: 'me/OURS1',
      });
      const toTheirs = waMessage({
        message: content({
          extendedTextMessage: { text: 'this', contextInfo: { stanzaId: 'THEIRS', participant: '15551234567@s.whatsapp.net' } },
        }),
      });
      expect(message(normaliseWaMessage(toTheirs, ctx)).message.quotedProviderMessageId).toBe('15551234567@s.whatsapp.net/THEIRS');
    });

    it('keeps both the LID and the phone JID when the sender is addressed by LID', () => {
      const m = message(
        normaliseWaMessage(
          waMessage({ remoteJid: '123456789@lid', remoteJidAlt: '15551234567@s.whatsapp.net', message: content({ conversation: 'hi' }) }),
          ctx,
        ),
      );
      expect(m.message.from.phone).toBe('+15551234567');
      expect(m.message.from.externalIds).toEqual([
        { kind: 'wa_lid', value: '123456789@lid' },
        { kind: 'wa_jid', value: '15551234567@s.whatsapp.net' },
      ]);
      expect(m.message.providerMessageId).toBe('123456789@lid/3A0000000000000001');
    });

    it('reads the phone of a LID-addressed sender from senderPn / participantPn, as Baileys 6 wrote it', () => {
      const older = waMessage({ remoteJid: '123456789@lid', message: content({ conversation: 'hi' }) });
      Object.assign(older.key, { senderPn: '15551234567@s.whatsapp.net' });
      expect(message(normaliseWaMessage(older, ctx)).message.from).toMatchObject({
        phone: '+15551234567',
        externalIds: [
          { kind: 'wa_lid', value: '123456789@lid' },
          { kind: 'wa_jid', value: '15551234567@s.whatsapp.net' },
        ],
      });
      const group = waMessage({
        remoteJid: '120363111111111111@g.us',
        participant: '222333@lid',
        message: content({ conversation: 'hi all' }),
      });
      Object.assign(group.key, { participantPn: '15552223333@s.whatsapp.net' });
      expect(message(normaliseWaMessage(group, { ...ctx, groupsEnabled: true })).message.from).toMatchObject({
        phone: '+15552223333',
        externalIds: [
          { kind: 'wa_lid', value: '222333@lid' },
          { kind: 'wa_jid', value: '15552223333@s.whatsapp.net' },
        ],
      });
    });

    it('accepts a sender known only by LID (no phone)', () => {
      const m = message(normaliseWaMessage(waMessage({ remoteJid: '123456789@lid', message: content({ conversation: 'hi' }) }), ctx));
      expect(m.message.from.phone).toBeUndefined();
      expect(m.message.from.externalIds).toEqual([{ kind: 'wa_lid', value: '123456789@lid' }]);
    });
  });

  describe('when a contact sends media', () => {
    it.each([
      ['imageMessage', 'image', { mimetype: 'image/jpeg', caption: 'look', fileLength: 2048 }],
      ['videoMessage', 'video', { mimetype: 'video/mp4', caption: 'clip', fileLength: 4096 }],
      ['audioMessage', 'audio', { mimetype: 'audio/ogg; codecs=opus', fileLength: 512 }],
      ['documentMessage', 'document', { mimetype: 'application/pdf', fileName: 'invoice.pdf', caption: 'the invoice', fileLength: 9000 }],
      ['stickerMessage', 'sticker', { mimetype: 'image/webp', fileLength: 300 }],
    ])('maps %s to %s with mime type, size, file name and caption', (waType, type, fields) => {
      const m = message(normaliseWaMessage(waMessage({ message: content({ [waType]: fields }) }), ctx));
      expect(m.message.type).toBe(type);
      expect(m.media).toEqual({
        mimeType: fields.mimetype,
        sizeBytes: fields.fileLength,
        fileName: (fields as { fileName?: string }).fileName ?? null,
      });
      expect(m.message.media?.caption).toBe((fields as { caption?: string }).caption);
      expect(m.message.metadata).toMatchObject({ waType });
    });

    it('marks a voice note (ptt audio) as voice', () => {
      const m = message(normaliseWaMessage(waMessage({ message: content({ audioMessage: { mimetype: 'audio/ogg', ptt: true } }) }), ctx));
      expect(m.message.metadata).toMatchObject({ voice: true });
    });

    it('unwraps view-once and ephemeral wrappers', () => {
      const viewOnce = message(
        normaliseWaMessage(
          waMessage({ message: content({ viewOnceMessageV2: { message: { imageMessage: { mimetype: 'image/jpeg' } } } }) }),
          ctx,
        ),
      );
      expect(viewOnce.message).toMatchObject({ type: 'image', metadata: { viewOnce: true } });
      const ephemeral = message(
        normaliseWaMessage(waMessage({ message: content({ ephemeralMessage: { message: { conversation: 'soon gone' } } }) }), ctx),
      );
      expect(ephemeral.message).toMatchObject({ type: 'text', text: 'soon gone', metadata: { ephemeral: true } });
    });
  });

  describe('when a contact sends a location, a contact card or a reaction', () => {
    it('maps a location with its coordinates', () => {
      const m = message(
        normaliseWaMessage(
          waMessage({
            message: content({ locationMessage: { degreesLatitude: 48.85, degreesLongitude: 2.35, name: 'Louvre', address: 'Paris' } }),
          }),
          ctx,
        ),
      );
      expect(m.message).toMatchObject({
        type: 'location',
        text: 'Louvre, Paris',
        metadata: { location: { latitude: 48.85, longitude: 2.35, name: 'Louvre', address: 'Paris', live: false } },
      });
    });

    it("keeps a live location's caption as its text", () => {
      const m = message(
        normaliseWaMessage(
          waMessage({
            message: content({
              liveLocationMessage: { degreesLatitude: 48.85, degreesLongitude: 2.35, caption: 'on my way', sequenceNumber: 1 },
            }),
          }),
          ctx,
        ),
      );
      expect(m.message).toMatchObject({
        type: 'location',
        text: 'on my way',
        metadata: { location: { latitude: 48.85, longitude: 2.35, live: true } },
      });
    });

    it('maps a contact card with its vCard', () => {
      const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nTEL:+15557654321\nEND:VCARD';
      const m = message(normaliseWaMessage(waMessage({ message: content({ contactMessage: { displayName: 'Ana', vcard } }) }), ctx));
      expect(m.message).toMatchObject({ type: 'contact', text: 'Ana', metadata: { contacts: [{ displayName: 'Ana', vcard }] } });
    });

    it('turns a reaction into a reaction on the reacted message (never a message of its own), and an empty one into its removal', () => {
      const react = waMessage({
        message: content({
          reactionMessage: {
            key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'OURS2' },
            text: '👍',
            senderTimestampMs: 1_764_000_000_500,
          },
        }),
      });
      expect(normaliseWaMessage(react, ctx)).toEqual({
        kind: 'reaction',
        targetProviderMessageId: 'me/OURS2',
        by: '15551234567@s.whatsapp.net',
        emoji: '👍',
        at: new Date(1_764_000_000_000),
      });
      const removed = waMessage({
        message: content({ reactionMessage: { key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'OURS2' }, text: '' } }),
      });
      expect(normaliseWaMessage(removed, ctx)).toMatchObject({ kind: 'reaction', targetProviderMessageId: 'me/OURS2', emoji: null });
    });

    it('puts a group reaction on the group message, by the participant', () => {
      const react = waMessage({
        remoteJid: '120363111111111111@g.us',
        participant: '222333@lid',
        participantAlt: '15552223333@s.whatsapp.net',
        message: content({
          reactionMessage: {
            key: { remoteJid: '120363111111111111@g.us', fromMe: false, participant: '444555@lid', id: 'THEIRS' },
            text: '❤️',
          },
        }),
      });
      expect(normaliseWaMessage(react, { ...ctx, groupsEnabled: true })).toMatchObject({
        kind: 'reaction',
        targetProviderMessageId: '120363111111111111@g.us/THEIRS',
        by: '222333@lid',
        emoji: '❤️',
      });
    });
  });

  describe('when a view-once message arrives without its content (only the phone may open it)', () => {
    it('is a view_once placeholder with no content, from the sender', () => {
      const hidden = waMessage({ id: 'VO1', message: null });
      hidden.key.isViewOnce = true;
      const m = message(normaliseWaMessage(hidden, ctx));
      expect(m.message).toMatchObject({
        providerMessageId: '15551234567@s.whatsapp.net/VO1',
        type: 'view_once',
        metadata: { viewOnce: true },
      });
      expect(m.message.text).toBeUndefined();
      expect(m.media).toBeNull();
    });

    it('is still ignored while it is a stub, so the real message is not deduplicated away', () => {
      const stub = waMessage({ id: 'VO2', message: null, stubType: proto.WebMessageInfo.StubType.CIPHERTEXT });
      stub.key.isViewOnce = true;
      expect(normaliseWaMessage(stub, ctx)).toMatchObject({ kind: 'ignored' });
    });
  });

  describe('when the kind is unknown', () => {
    it('stores it as unsupported with its WhatsApp type name', () => {
      const m = message(
        normaliseWaMessage(waMessage({ message: content({ groupInviteMessage: { groupName: 'Club', inviteCode: 'abc' } }) }), ctx),
      );
      expect(m.message).toMatchObject({ type: 'unsupported', metadata: { unsupportedType: 'groupInviteMessage' } });
    });
  });

  describe('when a contact sends a poll or votes on one', () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i);

    it('keeps a poll with its question, options and the key its votes are encrypted with', () => {
      const poll = waMessage({
        id: 'POLL1',
        remoteJid: '123456789@lid',
        remoteJidAlt: '15551234567@s.whatsapp.net',
        message: content({
          pollCreationMessageV3: { name: 'Lunch?', options: [{ optionName: 'pizza' }, { optionName: 'salad' }], selectableOptionsCount: 1 },
          messageContextInfo: { messageSecret: secret },
        }),
      });
      expect(message(normaliseWaMessage(poll, ctx)).message).toMatchObject({
        type: 'poll',
        text: 'Lunch?',
        metadata: {
          poll: {
            question: 'Lunch?',
            options: ['pizza', 'salad'],
            selectableCount: 1,
            encKey: Buffer.from(secret).toString('base64'),
            creatorJids: ['15551234567@s.whatsapp.net', '123456789@lid'],
            tallies: { pizza: 0, salad: 0 },
          },
        },
      });
    });

    it('turns a vote into a vote on the poll (never a message), with the encrypted choice and the voter', () => {
      const vote = { encPayload: new Uint8Array([1, 2, 3]), encIv: new Uint8Array([4, 5, 6]) };
      const m = waMessage({
        id: 'VOTE1',
        message: content({
          pollUpdateMessage: {
            pollCreationMessageKey: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'OURPOLL' },
            vote,
            senderTimestampMs: 1_764_000_000_000,
          },
        }),
      });
      expect(normaliseWaMessage(m, ctx)).toEqual({
        kind: 'poll_vote',
        targetProviderMessageId: 'me/OURPOLL',
        pollWaId: 'OURPOLL',
        by: '15551234567@s.whatsapp.net',
        voterJids: ['15551234567@s.whatsapp.net'],
        vote,
        at: new Date(1_764_000_000_000),
      });
    });
  });

  describe('when the message is an edit or a delete', () => {
    it('turns a MESSAGE_EDIT protocol message into an edit of the stored message', () => {
      const edit = waMessage({
        message: content({
          protocolMessage: {
            type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
            key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'ORIG' },
            editedMessage: { conversation: 'fixed typo' },
          },
        }),
      });
      expect(normaliseWaMessage(edit, ctx)).toMatchObject({
        kind: 'edit',
        targetProviderMessageId: '15551234567@s.whatsapp.net/ORIG',
        text: 'fixed typo',
      });
    });

    it('turns a REVOKE protocol message into a delete', () => {
      const revoke = waMessage({
        message: content({
          protocolMessage: {
            type: proto.Message.ProtocolMessage.Type.REVOKE,
            key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'ORIG' },
          },
        }),
      });
      expect(normaliseWaMessage(revoke, ctx)).toMatchObject({ kind: 'delete', targetProviderMessageId: '15551234567@s.whatsapp.net/ORIG' });
    });
  });

  describe('when a contact edits or deletes a message, with the inner key written from their side (as WhatsApp sends it)', () => {
    // The inner key names the chat as the sender sees it (our own JID or LID) and fromMe: true.
    const senderSideKey = (id: string) => ({ remoteJid: '999000@lid', fromMe: true, id });

    it('targets the outer chat with the inner id for an edit from a LID-addressed chat', () => {
      const edit = waMessage({
        id: 'EDITWRAP1',
        remoteJid: '123456789@lid',
        remoteJidAlt: '15551234567@s.whatsapp.net',
        message: content({
          editedMessage: {
            message: {
              protocolMessage: {
                type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
                key: senderSideKey('ORIG'),
                editedMessage: { conversation: 'fixed typo' },
                timestampMs: 1_764_000_060_000,
              },
            },
          },
        }),
      });
      expect(normaliseWaMessage(edit, ctx)).toMatchObject({
        kind: 'edit',
        targetProviderMessageId: '123456789@lid/ORIG',
        text: 'fixed typo',
      });
    });

    it('targets the outer chat with the inner id for a revoke', () => {
      const revoke = waMessage({
        id: 'REVOKE1',
        message: content({
          protocolMessage: {
            type: proto.Message.ProtocolMessage.Type.REVOKE,
            key: { remoteJid: '15550009999@s.whatsapp.net', fromMe: true, id: 'ORIG' },
          },
        }),
      });
      expect(normaliseWaMessage(revoke, ctx)).toMatchObject({ kind: 'delete', targetProviderMessageId: '15551234567@s.whatsapp.net/ORIG' });
    });

    it('reads the same edit and revoke logged as plain JSON (enum names, timestamps as strings)', () => {
      const logged = JSON.parse(
        JSON.stringify({
          key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'EDITJSON' },
          messageTimestamp: '1764000060',
          message: {
            protocolMessage: {
              type: 'MESSAGE_EDIT',
              key: { remoteJid: '15550009999@s.whatsapp.net', fromMe: true, id: 'ORIG' },
              editedMessage: { extendedTextMessage: { text: 'fixed' } },
            },
          },
        }),
      );
      expect(normaliseWaMessage(logged, ctx)).toEqual({
        kind: 'edit',
        targetProviderMessageId: '15551234567@s.whatsapp.net/ORIG',
        text: 'fixed',
        at: new Date(1_764_000_060_000),
      });
      const revoke = {
        key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: false, id: 'REVJSON' },
        messageTimestamp: 1_764_000_070,
        message: { protocolMessage: { type: 0, key: { remoteJid: '15550009999@s.whatsapp.net', fromMe: true, id: 'ORIG' } } },
      };
      expect(normaliseWaMessage(revoke as never, ctx)).toMatchObject({
        kind: 'delete',
        targetProviderMessageId: '15551234567@s.whatsapp.net/ORIG',
      });
    });

    it('targets our own message when the owner edits from the phone', () => {
      const edit = waMessage({
        id: 'OWNEDIT',
        fromMe: true,
        message: content({
          protocolMessage: {
            type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
            key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'MINE' },
            editedMessage: { conversation: 'better' },
          },
        }),
      });
      expect(normaliseWaMessage(edit, ctx)).toMatchObject({ kind: 'edit', targetProviderMessageId: 'me/MINE', text: 'better' });
    });
  });

  describe('when the chat is not a one-to-one chat with a contact', () => {
    it('ignores status broadcasts, newsletters and broadcast lists', () => {
      expect(
        normaliseWaMessage(
          waMessage({
            remoteJid: 'status@broadcast',
            participant: '15551234567@s.whatsapp.net',
            message: content({ conversation: 'story' }),
          }),
          ctx,
        ),
      ).toEqual({ kind: 'ignored', reason: 'status_broadcast' });
      expect(
        normaliseWaMessage(waMessage({ remoteJid: '120363000000000000@newsletter', message: content({ conversation: 'news' }) }), ctx),
      ).toEqual({ kind: 'ignored', reason: 'newsletter' });
      expect(normaliseWaMessage(waMessage({ remoteJid: '1234567890@broadcast', message: content({ conversation: 'list' }) }), ctx)).toEqual(
        { kind: 'ignored', reason: 'broadcast_list' },
      );
    });

    it('ignores groups unless the channel enables them, then takes the participant as the sender', () => {
      const group = waMessage({
        remoteJid: '120363111111111111@g.us',
        participant: '222333@lid',
        participantAlt: '15552223333@s.whatsapp.net',
        message: content({ conversation: 'hi all' }),
      });
      expect(normaliseWaMessage(group, ctx)).toEqual({ kind: 'ignored', reason: 'group_disabled' });
      const m = message(normaliseWaMessage(group, { ...ctx, groupsEnabled: true }));
      expect(m.message.from).toMatchObject({
        phone: '+15552223333',
        externalIds: [
          { kind: 'wa_lid', value: '222333@lid' },
          { kind: 'wa_jid', value: '15552223333@s.whatsapp.net' },
        ],
      });
      expect(m.message.metadata).toMatchObject({ groupJid: '120363111111111111@g.us' });
    });

    it('ignores a stub without content, so that the real message with the same id is not deduplicated away', () => {
      expect(normaliseWaMessage(waMessage({ message: null, stubType: proto.WebMessageInfo.StubType.CIPHERTEXT }), ctx)).toEqual({
        kind: 'ignored',
        reason: `stub:${proto.WebMessageInfo.StubType.CIPHERTEXT}`,
      });
    });
  });

  describe('when Baileys hands over a malformed key', () => {
    it('ignores it with the problem named, rather than storing a message without an id', () => {
      const broken = waMessage({ message: content({ conversation: 'x' }) });
      broken.key.id = '';
      expect(normaliseWaMessage(broken, ctx)).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/^invalid_key: id /) });
    });
  });

  describe('when the owner writes from the phone', () => {
    it('is an owner message to the chat, under our "me/" id', () => {
      const mine = waMessage({
        fromMe: true,
        id: 'PHONE1',
        remoteJid: '15551234567@s.whatsapp.net',
        message: content({ conversation: 'I will call you' }),
      });
      expect(normaliseWaMessage(mine, ctx)).toMatchObject({
        kind: 'owner_message',
        providerMessageId: 'me/PHONE1',
        type: 'text',
        text: 'I will call you',
        identities: [{ kind: 'wa_jid', value: '15551234567@s.whatsapp.net' }],
      });
    });
  });
});
