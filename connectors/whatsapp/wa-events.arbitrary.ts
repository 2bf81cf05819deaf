import { proto } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { content, encryptedPollVote, waMessage } from './wa-messages.fixture.ts';

/*
 * Random and truncated WhatsApp events for property tests: real shapes (every kind the
 * normalisers know, in process and as logged JSON) with paths removed or replaced by anything,
 * and plain random values.
 */
export const PROPERTY_CTX = {
  channelId: '00000000-0000-4000-8000-000000000001',
  groupsEnabled: true,
  ownJids: ['15550009999@s.whatsapp.net', '999000@lid'],
};
const CONTACT = '15551234567@s.whatsapp.net';
const secret = Uint8Array.from({ length: 32 }, (_, i) => i);

/** Real shapes to start from: every kind the normalisers know, in process and as logged JSON. */
const upserts = (): unknown[] => {
  const live = [
    waMessage({ message: content({ conversation: 'hi' }) }),
    waMessage({
      remoteJid: '123@lid',
      remoteJidAlt: CONTACT,
      message: content({ extendedTextMessage: { text: 'yes', contextInfo: { stanzaId: 'Q', participant: CONTACT } } }),
    }),
    waMessage({ message: content({ imageMessage: { mimetype: 'image/jpeg', caption: 'c', fileLength: 10 } }) }),
    waMessage({
      message: content({
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          key: { remoteJid: PROPERTY_CTX.ownJids[0], fromMe: true, id: 'O' },
          editedMessage: { conversation: 'e' },
        },
      }),
    }),
    waMessage({
      message: content({
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.REVOKE,
          key: { remoteJid: PROPERTY_CTX.ownJids[0], fromMe: true, id: 'O' },
        },
      }),
    }),
    waMessage({ message: content({ reactionMessage: { key: { remoteJid: CONTACT, fromMe: true, id: 'O' }, text: '❤️' } }) }),
    waMessage({
      message: content({
        pollCreationMessageV3: { name: 'q', options: [{ optionName: 'a' }] },
        messageContextInfo: { messageSecret: secret },
      }),
    }),
    waMessage({
      message: content({
        pollUpdateMessage: {
          pollCreationMessageKey: { remoteJid: CONTACT, fromMe: false, id: 'P' },
          vote: encryptedPollVote({ pollEncKey: secret, pollMsgId: 'P', pollCreatorJid: CONTACT, voterJid: CONTACT, optionNames: ['a'] }),
        },
      }),
    }),
    waMessage({ message: content({ liveLocationMessage: { degreesLatitude: 1, caption: 'x' } }) }),
    waMessage({
      remoteJid: '120363111111111111@g.us',
      participant: '222@lid',
      message: content({ viewOnceMessageV2: { message: { imageMessage: { mimetype: 'image/jpeg' } } } }),
    }),
  ];
  return [...live, ...live.map((m) => JSON.parse(JSON.stringify(m)) as unknown)];
};
const updates = (): unknown[] => [
  { key: { remoteJid: CONTACT, fromMe: true, id: 'A' }, update: { status: proto.WebMessageInfo.Status.READ } },
  {
    key: { remoteJid: CONTACT, fromMe: false, id: 'B' },
    update: { message: proto.Message.fromObject({ editedMessage: { message: { conversation: 'x' } } }), messageTimestamp: 1_764_000_000 },
  },
  { key: { remoteJid: CONTACT, fromMe: false, id: 'C' }, update: { message: null, messageStubType: proto.WebMessageInfo.StubType.REVOKE } },
];

/** Every path into a value (objects, arrays, byte arrays left whole). */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return [prefix];
  return [prefix, ...Object.keys(value).flatMap((k) => pathsOf((value as Record<string, unknown>)[k], [...prefix, k]))];
}

/** The value with one path removed or replaced (a truncated or garbled event). */
function mutate(value: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? undefined : replacement;
  const copy = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const [head, ...rest] = path;
  if (rest.length === 0 && remove) delete (copy as Record<string | number, unknown>)[head!];
  else
    (copy as Record<string | number, unknown>)[head!] = mutate(
      (value as Record<string | number, unknown>)[head!],
      rest,
      replacement,
      remove,
    );
  return copy;
}

const garbled = (bases: () => unknown[]) =>
  fc.oneof(
    fc.anything(),
    fc.tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.anything(), fc.boolean()), { maxLength: 4 })).map(([which, changes]) => {
      const all = bases();
      let value = all[which % all.length];
      for (const [at, replacement, remove] of changes) {
        const paths = pathsOf(value);
        value = mutate(value, paths[at % paths.length]!, replacement, remove);
      }
      return value;
    }),
  );

/** An upserted message, real or garbled. */
export const garbledUpsert = (): fc.Arbitrary<unknown> => garbled(upserts);
/** A `messages.update` item, real or garbled. */
export const garbledUpdate = (): fc.Arbitrary<unknown> => garbled(updates);
