import { proto, type WAMessageUpdate } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { garbledUpdate, garbledUpsert } from '../connectors/whatsapp/wa-events.arbitrary.ts';
import { content, encryptedPollVote, waMessage } from '../connectors/whatsapp/wa-messages.fixture.ts';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { eventually } from './support/eventually.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';
import { startWhatsappHarness, type WhatsappHarness } from './support/whatsapp-harness.ts';

/*
 * WhatsApp events in the shapes Baileys 7 really emits them (edits and revokes with the inner key
 * written from the sender's side, edits re-emitted as `messages.update`, malformed update items).
 * "No flow started" is checked at the engine's only entry: what the inbound pipeline hands over.
 */

let env: TestEnv;
let wa: WhatsappHarness;

beforeAll(async () => {
  env = await createTestEnv();
  wa = await startWhatsappHarness(env, { engine: true });
});

afterAll(async () => {
  await wa?.stop();
  await env?.cleanup();
});

const CONTACT = '15551234567@s.whatsapp.net';
/** The key of a contact's edit or revoke as the contact wrote it: the chat is us, and "from me" is them. */
const senderSide = (id: string) => ({ remoteJid: '15550009999@s.whatsapp.net', fromMe: true, id });

async function messagesOf(channelId: string) {
  return wa.sql<{
    provider_message_id: string;
    type: string;
    text: string | null;
    metadata: Record<string, unknown>;
    edited_at: Date | null;
    deleted_at: Date | null;
  }>(
    `select provider_message_id, type, text, metadata, edited_at, deleted_at from messages where channel_id = :channelId order by created_at, id`,
    { channelId },
  );
}

async function openWithMessage(id: string, text: string, settings?: Record<string, unknown>) {
  const { channelId, socket } = await wa.connectChannel({ settings });
  await wa.open(channelId, socket);
  socket.emit('messages.upsert', { messages: [waMessage({ id, message: content({ conversation: text }) })], type: 'notify' });
  await wa.settled(channelId);
  const handedBefore = wa.handedToEngine.filter((a) => a.channelId === channelId).length;
  return { channelId, socket, handedBefore };
}

const handedFor = (channelId: string) => wa.handedToEngine.filter((a) => a.channelId === channelId).length;

describe('when a contact edits a message', () => {
  it('applies an upsert MESSAGE_EDIT whose inner key names our JID to the message in the contact chat, starting nothing', async () => {
    const { channelId, socket, handedBefore } = await openWithMessage('UE1', 'helo');
    const edit = waMessage({
      id: 'UE1-EDIT',
      timestampS: 1_764_000_060,
      message: content({
        editedMessage: {
          message: {
            protocolMessage: {
              type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
              key: senderSide('UE1'),
              editedMessage: { conversation: 'hello' },
            },
          },
        },
      }),
    });
    socket.emit('messages.upsert', { messages: [edit], type: 'notify' });
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ provider_message_id: `${CONTACT}/UE1`, text: 'hello', edited_at: new Date(1_764_000_060_000) });
    expect(handedFor(channelId)).toBe(handedBefore);
  });

  it('applies the messages.update Baileys emits for an edit, with the update time, never as a new message', async () => {
    const { channelId, socket, handedBefore } = await openWithMessage('UP1', 'see you at 5');
    // As Baileys' process-message builds it: the chat's key with the edited id, `{ editedMessage: { message } }`.
    const editedMessage = proto.Message.fromObject({ editedMessage: { message: { conversation: 'see you at 6' } } });
    socket.emit('messages.update', [
      { key: { remoteJid: CONTACT, fromMe: false, id: 'UP1' }, update: { message: editedMessage, messageTimestamp: 1_764_000_123 } },
    ]);
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ text: 'see you at 6', edited_at: new Date(1_764_000_123_000) });
    expect(handedFor(channelId)).toBe(handedBefore);
  });

  it('stores nothing and starts nothing for an edit (update route) of a message we never had', async () => {
    const { channelId, socket, handedBefore } = await openWithMessage('KNOWN', 'hi');
    const logged = JSON.parse(
      JSON.stringify({
        key: { remoteJid: CONTACT, fromMe: false, id: 'NEVER-SEEN' },
        update: { message: { editedMessage: { message: { conversation: 'edited' } } }, messageTimestamp: 1_764_000_200 },
      }),
    );
    socket.emit('messages.update', [logged]);
    await wa.settled(channelId);
    expect((await messagesOf(channelId)).map((r) => r.provider_message_id)).toEqual([`${CONTACT}/KNOWN`]);
    expect(handedFor(channelId)).toBe(handedBefore);
  });

  it('ignores a group edit (update route) when the channel has groups off', async () => {
    const { channelId, socket, handedBefore } = await openWithMessage('G-KNOWN', 'hi');
    const editedMessage = proto.Message.fromObject({ editedMessage: { message: { conversation: 'group edit' } } });
    socket.emit('messages.update', [
      {
        key: { remoteJid: '120363111111111111@g.us', participant: CONTACT, fromMe: false, id: 'G-EDIT' },
        update: { message: editedMessage, messageTimestamp: 1_764_000_300 },
      },
    ]);
    await wa.settled(channelId);
    expect(await messagesOf(channelId)).toHaveLength(1);
    expect(handedFor(channelId)).toBe(handedBefore);
  });
});

describe('when a contact deletes a message for everyone', () => {
  it('applies an upsert REVOKE whose inner key names our JID to the message in the contact chat', async () => {
    const { channelId, socket } = await openWithMessage('RV1', 'oops');
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'RV1-REVOKE',
          timestampS: 1_764_000_400,
          message: content({ protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: senderSide('RV1') } }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const [row] = await messagesOf(channelId);
    expect(row).toMatchObject({ provider_message_id: `${CONTACT}/RV1`, text: null, deleted_at: new Date(1_764_000_400_000) });
  });
});

describe('when an update batch holds a malformed item', () => {
  it('skips and counts the bad item and applies the rest of the batch', async () => {
    const { channelId, socket } = await openWithMessage('MB1', 'typo hree');
    const editedMessage = proto.Message.fromObject({ editedMessage: { message: { conversation: 'typo here' } } });
    // Baileys' types promise a key on every item; a gateway's flattened update had none.
    const malformed = [
      { update: { status: proto.WebMessageInfo.Status.READ } },
      null,
      { key: { remoteJid: CONTACT, fromMe: false }, update: {} },
    ] as unknown as WAMessageUpdate[];
    socket.emit('messages.update', [
      ...malformed,
      { key: { remoteJid: CONTACT, fromMe: false, id: 'MB1' }, update: { message: editedMessage, messageTimestamp: 1_764_000_500 } },
    ]);
    await wa.settled(channelId);
    expect((await messagesOf(channelId))[0]).toMatchObject({ text: 'typo here' });
    expect(wa.host.session(channelId)!.updateCounts).toEqual({ updatesApplied: 1, updatesSkipped: 3 });
  });
});

describe('when a contact reacts to a message', () => {
  it('records the reaction on the target (ours or theirs) and starts nothing, even with an emoji a keyword would match; removing it removes it', async () => {
    const { channelId, socket, handedBefore } = await openWithMessage('RX1', 'my message');
    const [conv] = await wa.sql<{ id: string; contact_id: string; workspace_id: string }>(
      `select id, contact_id, workspace_id from conversations where channel_id = :channelId`,
      { channelId },
    );
    await wa.sql(
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id, type, text, status, status_times) values (gen_random_uuid(), :workspaceId, :channelId, :conv, :contact, 'outbound', 'bot', 'me/BOT1', 'text', 'our offer', 'sent', '{}')`,
      { workspaceId: conv!.workspace_id, channelId, conv: conv!.id, contact: conv!.contact_id },
    );
    // In process: Baileys has turned the target key to our side (fromMe: true for our message).
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'R-A',
          timestampS: 1_764_000_600,
          message: content({
            reactionMessage: { key: { remoteJid: CONTACT, fromMe: true, id: 'BOT1' }, text: '❤️', senderTimestampMs: 1_764_000_600_123 },
          }),
        }),
      ],
      type: 'notify',
    });
    // As a gateway logged it: plain JSON, the timestamp a string.
    const logged = JSON.parse(
      JSON.stringify({
        key: { remoteJid: CONTACT, fromMe: false, id: 'R-B' },
        messageTimestamp: '1764000601',
        message: {
          reactionMessage: { key: { remoteJid: CONTACT, fromMe: false, id: 'RX1' }, text: '👍', senderTimestampMs: '1764000601000' },
        },
      }),
    );
    socket.emit('messages.upsert', { messages: [logged], type: 'notify' });
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.provider_message_id === 'me/BOT1')!.metadata.reactions).toEqual({
      [CONTACT]: { emoji: '❤️', at: new Date(1_764_000_600_000).toISOString() },
    });
    expect(rows.find((r) => r.provider_message_id === `${CONTACT}/RX1`)!.metadata.reactions).toEqual({
      [CONTACT]: { emoji: '👍', at: new Date(1_764_000_601_000).toISOString() },
    });
    expect(handedFor(channelId)).toBe(handedBefore);

    // The same reaction delivered again (a redelivery, or also as messages.reaction) counts once; an empty one removes it.
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'R-A',
          timestampS: 1_764_000_600,
          message: content({ reactionMessage: { key: { remoteJid: CONTACT, fromMe: true, id: 'BOT1' }, text: '❤️' } }),
        }),
      ],
      type: 'notify',
    });
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'R-C',
          timestampS: 1_764_000_700,
          message: content({ reactionMessage: { key: { remoteJid: CONTACT, fromMe: false, id: 'RX1' }, text: '' } }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const after = await messagesOf(channelId);
    expect(Object.keys(after.find((r) => r.provider_message_id === 'me/BOT1')!.metadata.reactions as object)).toEqual([CONTACT]);
    expect(after.find((r) => r.provider_message_id === `${CONTACT}/RX1`)!.metadata.reactions).toEqual({});
    expect(handedFor(channelId)).toBe(handedBefore);
  });
});

describe('when a contact sends a poll and votes on it', () => {
  it('keeps the poll with its options, attaches each decrypted vote to it with tallies, and no vote starts anything', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const lid = '123456789@lid';
    const secret = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'POLL1',
          remoteJid: lid,
          remoteJidAlt: CONTACT,
          message: content({
            pollCreationMessageV3: {
              name: 'Lunch?',
              options: [{ optionName: 'pizza' }, { optionName: 'salad' }],
              selectableOptionsCount: 1,
            },
            messageContextInfo: { messageSecret: secret },
          }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const handedBefore = handedFor(channelId);
    expect(handedBefore).toBe(1);

    // The vote as WhatsApp encrypts it (bound to the creator's and voter's phone JIDs), in process...
    const pollKey = { remoteJid: lid, fromMe: false, id: 'POLL1' };
    const vote = (optionNames: string[]) =>
      encryptedPollVote({ pollEncKey: secret, pollMsgId: 'POLL1', pollCreatorJid: CONTACT, voterJid: CONTACT, optionNames });
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'V1',
          remoteJid: lid,
          remoteJidAlt: CONTACT,
          timestampS: 1_764_000_800,
          message: content({
            pollUpdateMessage: { pollCreationMessageKey: pollKey, vote: vote(['salad']), senderTimestampMs: 1_764_000_800_000 },
          }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    let [poll] = await messagesOf(channelId);
    expect(poll).toMatchObject({ type: 'poll', text: 'Lunch?' });
    expect(poll!.metadata.poll).toMatchObject({
      options: ['pizza', 'salad'],
      votes: { [lid]: { options: ['salad'] } },
      tallies: { pizza: 0, salad: 1 },
    });

    // ...and a changed vote logged as plain JSON (bytes as base64), which replaces the first.
    const changed = vote(['pizza']);
    const logged = JSON.parse(
      JSON.stringify({
        key: { remoteJid: lid, remoteJidAlt: CONTACT, fromMe: false, id: 'V2' },
        messageTimestamp: 1_764_000_900,
        message: {
          pollUpdateMessage: {
            pollCreationMessageKey: pollKey,
            vote: { encPayload: Buffer.from(changed.encPayload).toString('base64'), encIv: Buffer.from(changed.encIv).toString('base64') },
          },
        },
      }),
    );
    socket.emit('messages.upsert', { messages: [logged], type: 'notify' });
    await wa.settled(channelId);
    [poll] = await messagesOf(channelId);
    expect(poll!.metadata.poll).toMatchObject({ votes: { [lid]: { options: ['pizza'] } }, tallies: { pizza: 1, salad: 0 } });
    expect(await messagesOf(channelId)).toHaveLength(1);
    expect(handedFor(channelId)).toBe(handedBefore);
  });

  it('keeps a vote it cannot decrypt as an unknown choice on the poll, still starting nothing', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'POLL2',
          message: content({ pollCreationMessage: { name: 'Time?', options: [{ optionName: '5' }, { optionName: '6' }] } }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const handedBefore = handedFor(channelId);
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'V3',
          message: content({
            pollUpdateMessage: {
              pollCreationMessageKey: { remoteJid: CONTACT, fromMe: false, id: 'POLL2' },
              vote: { encPayload: new Uint8Array([9, 9, 9]), encIv: new Uint8Array(12) },
            },
          }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.metadata.poll).toMatchObject({ votes: { [CONTACT]: { options: null } }, tallies: { '5': 0, '6': 0 } });
    expect(handedFor(channelId)).toBe(handedBefore);
  });
});

describe('when a contact sends a view-once message or shares a live location', () => {
  it('stores a view_once placeholder with no content, and a live location with its caption as text', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const hidden = waMessage({ id: 'VO1', message: null });
    hidden.key.isViewOnce = true;
    socket.emit('messages.upsert', {
      messages: [
        hidden,
        waMessage({
          id: 'LL1',
          message: content({ liveLocationMessage: { degreesLatitude: 48.85, degreesLongitude: 2.35, caption: 'on my way' } }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows.map((r) => [r.provider_message_id, r.type, r.text])).toEqual([
      [`${CONTACT}/VO1`, 'view_once', null],
      [`${CONTACT}/LL1`, 'location', 'on my way'],
    ]);
  });
});

describe('when Baileys or a gateway hands over random and truncated events', () => {
  it('gives every update item a result or a counted skip, and the session keeps working', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { groupsEnabled: true } });
    await wa.open(channelId, socket);
    const session = wa.host.session(channelId)!;
    await fc.assert(
      fc.asyncProperty(
        fc.array(garbledUpdate(), { minLength: 1, maxLength: 5 }),
        fc.array(garbledUpsert(), { maxLength: 3 }),
        async (batch, upserts) => {
          const before = session.updateCounts;
          socket.emit('messages.update', batch as WAMessageUpdate[]);
          socket.emit('messages.upsert', { messages: upserts as never[], type: 'notify' });
          await wa.settled(channelId);
          const after = session.updateCounts;
          expect(after.updatesApplied + after.updatesSkipped - before.updatesApplied - before.updatesSkipped).toBe(batch.length);
        },
      ),
      { numRuns: 40 },
    );
    // Still handling events: a plain message after all that is stored.
    socket.emit('messages.upsert', {
      messages: [
        waMessage({ id: 'AFTER-FUZZ', remoteJid: '15559990000@s.whatsapp.net', message: content({ conversation: 'still here' }) }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    expect((await messagesOf(channelId)).some((r) => r.provider_message_id === '15559990000@s.whatsapp.net/AFTER-FUZZ')).toBe(true);
  });
});

describe('when a workspace has a published catch-all flow', () => {
  it('starts a run for each text, and none for a reaction, a poll vote, an edit or a revoke (either route)', async () => {
    const { channelId, workspaceId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const { flowId } = await wa.publishFlow(
      workspaceId,
      doc([node('t', 'message_received', { match: { kind: 'any' } }), node('e', 'end')], [edge('t', 'out', 'e')]),
    );
    const runs = async () => (await wa.sql<{ n: number }>(`select count(*)::int as n from runs where flow_id = :flowId`, { flowId }))[0]!.n;
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i + 7);

    socket.emit('messages.upsert', {
      messages: [
        waMessage({ id: 'T1', message: content({ conversation: 'first' }) }),
        waMessage({
          id: 'PL1',
          message: content({
            pollCreationMessage: { name: 'Lunch?', options: [{ optionName: 'a' }, { optionName: 'b' }] },
            messageContextInfo: { messageSecret: secret },
          }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    await eventually(async () => ((await runs()) === 2 ? true : undefined));

    const editedMessage = proto.Message.fromObject({ editedMessage: { message: { conversation: 'first!' } } });
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'R1',
          message: content({ reactionMessage: { key: { remoteJid: CONTACT, fromMe: false, id: 'T1' }, text: '❤️' } }),
        }),
        waMessage({
          id: 'V1',
          message: content({
            pollUpdateMessage: {
              pollCreationMessageKey: { remoteJid: CONTACT, fromMe: false, id: 'PL1' },
              vote: encryptedPollVote({
                pollEncKey: secret,
                pollMsgId: 'PL1',
                pollCreatorJid: CONTACT,
                voterJid: CONTACT,
                optionNames: ['b'],
              }),
            },
          }),
        }),
        waMessage({
          id: 'E1',
          message: content({
            protocolMessage: {
              type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
              key: senderSide('T1'),
              editedMessage: { conversation: 'first?' },
            },
          }),
        }),
        waMessage({
          id: 'X1',
          message: content({ protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: senderSide('NOT-STORED') } }),
        }),
      ],
      type: 'notify',
    });
    socket.emit('messages.update', [
      { key: { remoteJid: CONTACT, fromMe: false, id: 'T1' }, update: { message: editedMessage, messageTimestamp: 1_764_000_900 } },
      { key: { remoteJid: CONTACT, fromMe: false, id: 'UNKNOWN' }, update: { message: editedMessage, messageTimestamp: 1_764_000_901 } },
    ]);
    // A last text: once its run exists, every event before it in this conversation was judged.
    socket.emit('messages.upsert', { messages: [waMessage({ id: 'T2', message: content({ conversation: 'last' }) })], type: 'notify' });
    await wa.settled(channelId);
    await eventually(async () => ((await runs()) >= 3 ? true : undefined));
    expect(await runs()).toBe(3);
    const rows = await messagesOf(channelId);
    expect(rows.map((r) => [r.provider_message_id, r.type, r.text])).toEqual([
      [`${CONTACT}/T1`, 'text', 'first!'],
      [`${CONTACT}/PL1`, 'poll', 'Lunch?'],
      [`${CONTACT}/T2`, 'text', 'last'],
    ]);
    expect(rows[0]!.metadata.reactions).toMatchObject({ [CONTACT]: { emoji: '❤️' } });
    expect(rows[1]!.metadata.poll).toMatchObject({ tallies: { a: 0, b: 1 } });
  });
});

describe("when a run waits for the contact's reply", () => {
  it('is not answered by a reaction, a poll vote or an edit; the next text answers it', async () => {
    const { channelId, workspaceId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const { flowId } = await wa.publishFlow(
      workspaceId,
      doc(
        [
          keywordTrigger('t', ['survey']),
          node('ask', 'wait_for_reply', { timeout: { amount: 1, unit: 'hours' }, saveReplyAs: 'answer' }),
          node('keep', 'set_contact_attribute', { key: 'answer', value: '{{vars.answer}}' }),
        ],
        [edge('t', 'out', 'ask'), edge('ask', 'reply', 'keep')],
      ),
    );
    const run = async () =>
      (await wa.sql<{ status: string; contact_id: string }>(`select status, contact_id from runs where flow_id = :flowId`, { flowId }))[0];
    socket.emit('messages.upsert', { messages: [waMessage({ id: 'S1', message: content({ conversation: 'survey' }) })], type: 'notify' });
    await wa.settled(channelId);
    await eventually(async () => ((await run())?.status === 'waiting' ? true : undefined));

    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'S-R',
          message: content({ reactionMessage: { key: { remoteJid: CONTACT, fromMe: false, id: 'S1' }, text: '👍' } }),
        }),
        waMessage({
          id: 'S-V',
          message: content({
            pollUpdateMessage: {
              pollCreationMessageKey: { remoteJid: CONTACT, fromMe: false, id: 'NO-POLL' },
              vote: { encPayload: new Uint8Array([1]), encIv: new Uint8Array(12) },
            },
          }),
        }),
        waMessage({
          id: 'S-E',
          message: content({
            protocolMessage: {
              type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
              key: senderSide('S1'),
              editedMessage: { conversation: 'survey!' },
            },
          }),
        }),
      ],
      type: 'notify',
    });
    socket.emit('messages.update', [
      {
        key: { remoteJid: CONTACT, fromMe: false, id: 'S1' },
        update: {
          message: proto.Message.fromObject({ editedMessage: { message: { conversation: 'survey?' } } }),
          messageTimestamp: 1_764_001_000,
        },
      },
    ]);
    await wa.settled(channelId);
    expect((await run())!.status).toBe('waiting');

    socket.emit('messages.upsert', { messages: [waMessage({ id: 'S2', message: content({ conversation: 'blue' }) })], type: 'notify' });
    await wa.settled(channelId);
    await eventually(async () => ((await run())?.status === 'completed' ? true : undefined));
    const [contact] = await wa.sql<{ attributes: Record<string, unknown> }>(`select attributes from contacts where id = :id`, {
      id: (await run())!.contact_id,
    });
    expect(contact!.attributes).toMatchObject({ answer: 'blue' });
  });
});
