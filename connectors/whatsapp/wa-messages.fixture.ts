import { proto, type WAMessage } from '@whiskeysockets/baileys';

/** A WAMessage as Baileys 7 emits it in messages.upsert, built with Baileys' own proto classes (tests). */
export function waMessage(fields: { id?: string; remoteJid?: string; remoteJidAlt?: string; participant?: string; participantAlt?: string; fromMe?: boolean; pushName?: string; timestampS?: number; message: proto.IMessage | null; stubType?: number }): WAMessage {
  const info = proto.WebMessageInfo.fromObject({
    key: { remoteJid: fields.remoteJid ?? '15551234567@s.whatsapp.net', fromMe: fields.fromMe ?? false, id: fields.id ?? '3A0000000000000001', participant: fields.participant },
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
