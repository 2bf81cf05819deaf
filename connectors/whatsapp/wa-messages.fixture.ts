import { createHash } from 'node:crypto';
import { aesEncryptGCM, hmacSign, proto, type WAMessage } from '@whiskeysockets/baileys';

/** A WAMessage as Baileys 7 emits it in messages.upsert, built with Baileys' own proto classes (tests). */
export function waMessage(fields: {
  id?: string;
  remoteJid?: string;
  remoteJidAlt?: string;
  participant?: string;
  participantAlt?: string;
  fromMe?: boolean;
  pushName?: string;
  timestampS?: number;
  message: proto.IMessage | null;
  stubType?: number;
}): WAMessage {
  const info = proto.WebMessageInfo.fromObject({
    key: {
      remoteJid: fields.remoteJid ?? '15551234567@s.whatsapp.net',
      fromMe: fields.fromMe ?? false,
      id: fields.id ?? '3A0000000000000001',
      participant: fields.participant,
    },
    message: fields.message ?? undefined,
    messageTimestamp: fields.timestampS ?? 1_764_000_000,
    pushName: fields.pushName ?? 'Sam',
    messageStubType: fields.stubType,
  }) as WAMessage;
  // Baileys 7 adds the alternate addressing (LID <-> phone) on the key itself, outside the proto.
  if (fields.remoteJidAlt) info.key.remoteJidAlt = fields.remoteJidAlt;
  if (fields.participantAlt) info.key.participantAlt = fields.participantAlt;
  return info;
}

/** Message content built through proto.Message (so its shape is Baileys' own). */
export function content(obj: Record<string, unknown>): proto.IMessage {
  return proto.Message.fromObject(obj);
}

/**
 * A poll vote encrypted as a WhatsApp client encrypts it (the inverse of Baileys' decryptPollVote):
 * bound to the poll's id, its creator's JID and the voter's JID, under the poll's messageSecret.
 */
export function encryptedPollVote(fields: {
  pollEncKey: Uint8Array;
  pollMsgId: string;
  pollCreatorJid: string;
  voterJid: string;
  optionNames: string[];
}): { encPayload: Uint8Array; encIv: Uint8Array } {
  const sign = Buffer.concat([
    Buffer.from(fields.pollMsgId),
    Buffer.from(fields.pollCreatorJid),
    Buffer.from(fields.voterJid),
    Buffer.from('Poll Vote'),
    new Uint8Array([1]),
  ]);
  const key0 = hmacSign(fields.pollEncKey, new Uint8Array(32), 'sha256');
  const encKey = hmacSign(sign, key0, 'sha256');
  const encIv = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
  const plain = proto.Message.PollVoteMessage.encode({
    selectedOptions: fields.optionNames.map((n) => createHash('sha256').update(n).digest()),
  }).finish();
  const encPayload = aesEncryptGCM(plain, encKey, encIv, Buffer.from(`${fields.pollMsgId}\u0000${fields.voterJid}`));
  return { encPayload: new Uint8Array(encPayload), encIv };
}
