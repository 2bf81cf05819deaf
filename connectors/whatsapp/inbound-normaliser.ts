import {
  getContentType,
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  isJidStatusBroadcast,
  jidNormalizedUser,
  normalizeMessageContent,
  proto,
  toNumber,
  type WAMessage,
} from '@whiskeysockets/baileys';
import { z } from 'zod';
import { zodIssueLine } from '../../engine/errors/zod-issue-details.ts';
import { MAX_TEXT_CHARS, type MessageType } from '../../engine/messages/message-content.ts';
import type { InboundMessage } from '../../engine/ports/inbound-message.ts';
import type { EncryptedVote, StoredPoll } from './poll-votes.ts';
import { identityOf, providerIdOf, type WaIdentity } from './wa-ids.ts';

/** Media of an inbound message still to be downloaded into the media store. */
export interface PendingMedia {
  mimeType: string | null;
  sizeBytes: number | null;
  fileName: string | null;
}

/** What one `messages.upsert` message means for us. */
export type NormalisedWaEvent =
  | { kind: 'ignored'; reason: string }
  | { kind: 'message'; message: InboundMessage; media: PendingMedia | null }
  /** Sent by the owner from the phone: recorded as outbound by a human. */
  | {
      kind: 'owner_message';
      providerMessageId: string;
      identities: WaIdentity[];
      type: MessageType;
      text: string | null;
      sentAt: Date | null;
      metadata: Record<string, unknown>;
    }
  | { kind: 'edit'; targetProviderMessageId: string; text: string; at: Date | null }
  | { kind: 'delete'; targetProviderMessageId: string; at: Date | null }
  /**
   * A reaction put on (emoji) or taken off (null) a message by `by` (the reactor's JID or LID, "me"
   * for the owner): recorded on its target, never a message of its own, so it starts no flow.
   */
  | { kind: 'reaction'; targetProviderMessageId: string; by: string; emoji: string | null; at: Date | null }
  /**
   * A vote on a poll, attached to the poll (decrypted where its key is known), never a message of
   * its own. `voterJids`: the spellings (phone, LID) the vote may be encrypted for.
   */
  | {
      kind: 'poll_vote';
      targetProviderMessageId: string;
      pollWaId: string;
      by: string;
      voterJids: string[];
      vote: EncryptedVote | null;
      at: Date | null;
    };

export interface NormaliseContext {
  channelId: string;
  groupsEnabled: boolean;
  /** This number's own JID and LID (normalised), to recognise replies to our messages. */
  ownJids: string[];
}

const MEDIA_TYPES: Partial<Record<string, MessageType>> = {
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
};
const MAX_CAPTION_CHARS = 4_096;
/** An emoji is a few code points (skin tones, joiners); anything longer is not a reaction we show. */
const MAX_REACTION_CHARS = 32;

interface MediaFields {
  caption?: string | null;
  mimetype?: string | null;
  fileLength?: number | Long | null;
  fileName?: string | null;
  ptt?: boolean | null;
  contextInfo?: proto.IContextInfo | null;
}
type Long = { toNumber(): number } | { low: number };

/*
 * The part of a Baileys message key we rely on, checked before anything else reads it: Baileys
 * is a reverse-engineered protocol client, and its events are outside input like any other.
 */
const WaKeySchema = z.object({
  remoteJid: z.string().min(3).max(200),
  id: z.string().min(1).max(200),
  fromMe: z.boolean().nullish(),
  participant: z.string().max(200).nullish(),
});

/** Reasons to ignore a message that are part of normal operation (logged at debug); any other is a warning. */
export const EXPECTED_IGNORE_REASONS: ReadonlySet<string> = new Set(['status_broadcast', 'newsletter', 'broadcast_list', 'group_disabled']);

/** Turns one upserted Baileys message into what the session should do with it. */
export function normaliseWaMessage(msg: WAMessage, ctx: NormaliseContext): NormalisedWaEvent {
  if (!msg || typeof msg !== 'object') return { kind: 'ignored', reason: 'not_a_message' };
  try {
    return normaliseChecked(msg, ctx);
  } catch (err) {
    // The key is checked by schema; the content is a deep protobuf tree read field by field, and
    // a gateway's garbled copy (a string where a list belongs) must cost that one message only.
    return { kind: 'ignored', reason: `malformed: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}` };
  }
}

function normaliseChecked(msg: WAMessage, ctx: NormaliseContext): NormalisedWaEvent {
  const key = msg.key;
  const checked = WaKeySchema.safeParse(key);
  if (!checked.success) return { kind: 'ignored', reason: `invalid_key: ${zodIssueLine(checked.error)}` };
  const remoteJid = key.remoteJid ?? '';
  if (isJidStatusBroadcast(remoteJid)) return { kind: 'ignored', reason: 'status_broadcast' };
  if (isJidNewsletter(remoteJid)) return { kind: 'ignored', reason: 'newsletter' };
  if (isJidBroadcast(remoteJid)) return { kind: 'ignored', reason: 'broadcast_list' };
  const group = isJidGroup(remoteJid) === true;
  if (group && !ctx.groupsEnabled) return { kind: 'ignored', reason: 'group_disabled' };
  const providerMessageId = providerIdOf(key);
  if (!providerMessageId) return { kind: 'ignored', reason: 'no_message_key' };

  const content = normalizeMessageContent(msg.message);
  // A stub (a message WhatsApp could not decrypt yet, a system notice): the real message, if any,
  // arrives later with the same id, so storing the stub would deduplicate the real one away.
  const waType = content ? getContentType(content) : undefined;
  // A view-once message reaches a linked device without its content (only the phone may open
  // it): a placeholder shows the agent that something was sent. Not for a stub, as above.
  const viewOncePlaceholder = !waType && !msg.messageStubType && isViewOnce(msg);
  if ((!content || !waType) && !viewOncePlaceholder)
    return { kind: 'ignored', reason: msg.messageStubType ? `stub:${msg.messageStubType}` : 'no_content' };
  const at = dateOfSeconds(msg.messageTimestamp);

  if (content && waType === 'protocolMessage') {
    const p = content.protocolMessage!;
    // The inner key is written from the sender's side (a contact's edit names our JID and
    // fromMe: true): the target is this chat's message with the inner id, as Baileys builds it.
    const target = p.key?.id ? providerIdOf({ ...key, id: p.key.id }) : null;
    const type = protocolTypeOf(p.type);
    if (type === proto.Message.ProtocolMessage.Type.REVOKE && target) return { kind: 'delete', targetProviderMessageId: target, at };
    if (type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT && target) {
      const text = editedTextOf(p.editedMessage);
      if (text !== null) return { kind: 'edit', targetProviderMessageId: target, text, at };
    }
    return { kind: 'ignored', reason: `protocol:${type ?? 'unknown'}` };
  }

  if (content && waType === 'reactionMessage') {
    const r = content.reactionMessage!;
    // Baileys has turned the target key to our side (cleanMessage): its fromMe says whose it is;
    // the chat is this one (a gateway's logged JSON may still carry the sender's side of the chat).
    const target = r.key?.id ? providerIdOf({ remoteJid, fromMe: r.key.fromMe === true, id: r.key.id }) : null;
    if (!target) return { kind: 'ignored', reason: 'reaction_without_target' };
    const by = key.fromMe ? 'me' : senderIdentities(key, group)[0]?.value;
    if (!by) return { kind: 'ignored', reason: 'unknown_sender' };
    // An empty reaction text is WhatsApp's way of removing a reaction.
    const emoji = typeof r.text === 'string' && r.text ? r.text.slice(0, MAX_REACTION_CHARS) : null;
    return { kind: 'reaction', targetProviderMessageId: target, by, emoji, at };
  }

  if (content && waType === 'pollUpdateMessage') {
    const u = content.pollUpdateMessage!;
    const pollKey = u.pollCreationMessageKey;
    // Like a reaction's, the poll's key has been turned to our side by Baileys.
    const target = pollKey?.id ? providerIdOf({ remoteJid, fromMe: pollKey.fromMe === true, id: pollKey.id }) : null;
    if (!target || !pollKey?.id) return { kind: 'ignored', reason: 'poll_vote_without_poll' };
    const voter = key.fromMe ? null : senderIdentities(key, group);
    const by = voter ? voter[0]?.value : 'me';
    if (!by) return { kind: 'ignored', reason: 'unknown_sender' };
    const voterJids = voter ? jidSpellings(senderJids(key, group).reverse()) : ctx.ownJids;
    const vote =
      bytesOf(u.vote?.encPayload) && bytesOf(u.vote?.encIv)
        ? { encPayload: bytesOf(u.vote?.encPayload)!, encIv: bytesOf(u.vote?.encIv)! }
        : null;
    return { kind: 'poll_vote', targetProviderMessageId: target, pollWaId: pollKey.id, by, voterJids, vote, at };
  }

  const body = content && waType ? bodyOf(content, waType, remoteJid, ctx) : { type: 'view_once' as const, media: null, metadata: {} };
  const poll =
    content && waType && POLL_TYPES.has(waType)
      ? pollOf(content, waType, key.fromMe ? ctx.ownJids : jidSpellings(senderJids(key, group).reverse()))
      : null;
  if (poll) Object.assign(body, { type: 'poll', text: poll.question || undefined, metadata: { poll } });
  const metadata: Record<string, unknown> = { waType, remoteJid, ...body.metadata };
  if (group) metadata.groupJid = remoteJid;
  if (isViewOnce(msg)) metadata.viewOnce = true;
  if (msg.message?.ephemeralMessage) metadata.ephemeral = true;

  const identities = senderIdentities(key, group);
  if (key.fromMe) {
    const chat = senderJids(key, false)
      .map(identityOf)
      .filter((i): i is WaIdentity => i !== null);
    return { kind: 'owner_message', providerMessageId, identities: chat, type: body.type, text: body.text ?? null, sentAt: at, metadata };
  }
  if (identities.length === 0) return { kind: 'ignored', reason: 'unknown_sender' };
  const phone = identities.find((i): i is Extract<WaIdentity, { kind: 'wa_jid' }> => i.kind === 'wa_jid')?.phone ?? undefined;
  const message: InboundMessage = {
    channelId: ctx.channelId,
    providerMessageId,
    from: {
      phone,
      name: typeof msg.pushName === 'string' ? msg.pushName.slice(0, 200) || undefined : undefined,
      externalIds: identities.map((i) => ({ kind: i.kind, value: i.value })),
    },
    type: body.type,
    text: body.text,
    quotedProviderMessageId: body.quoted,
    sentAt: at ?? undefined,
    metadata,
  };
  if (body.media)
    message.media = {
      mimeType: body.media.mimeType ?? undefined,
      sizeBytes: body.media.sizeBytes ?? undefined,
      fileName: body.media.fileName ?? undefined,
      caption: body.caption,
    };
  return { kind: 'message', message, media: body.media };
}

interface Body {
  type: MessageType;
  text?: string;
  caption?: string;
  quoted?: string;
  media: PendingMedia | null;
  metadata: Record<string, unknown>;
}

function bodyOf(content: proto.IMessage, waType: string, remoteJid: string, ctx: NormaliseContext): Body {
  const node = (content as Record<string, unknown>)[waType] as (MediaFields & Record<string, unknown>) | string | null | undefined;
  const contextInfo = typeof node === 'object' && node ? node.contextInfo : null;
  const quoted = contextInfo?.stanzaId ? quotedId(contextInfo, remoteJid, ctx) : undefined;
  if (waType === 'conversation') return { type: 'text', text: content.conversation ?? '', media: null, metadata: {} };
  if (waType === 'extendedTextMessage')
    return { type: 'text', text: content.extendedTextMessage?.text ?? '', quoted, media: null, metadata: {} };
  const mediaType = MEDIA_TYPES[waType];
  if (mediaType && typeof node === 'object' && node) {
    const caption = node.caption ? node.caption.slice(0, MAX_CAPTION_CHARS) : undefined;
    const size = node.fileLength ? toNumber(node.fileLength as number) : null;
    return {
      type: mediaType,
      text: caption,
      caption,
      quoted,
      media: { mimeType: node.mimetype ?? null, sizeBytes: size, fileName: node.fileName ?? null },
      metadata: waType === 'audioMessage' && node.ptt ? { voice: true } : {},
    };
  }
  if (waType === 'locationMessage' || waType === 'liveLocationMessage') {
    const l = (content.locationMessage ?? content.liveLocationMessage)!;
    // A live location has no name or address, but may carry a caption (what the sender typed).
    const named =
      'name' in l
        ? [l.name, l.address].filter(Boolean).join(', ')
        : 'caption' in l && typeof l.caption === 'string'
          ? l.caption.slice(0, MAX_CAPTION_CHARS)
          : '';
    return {
      type: 'location',
      text: named || undefined,
      quoted,
      media: null,
      metadata: {
        location: {
          latitude: l.degreesLatitude ?? null,
          longitude: l.degreesLongitude ?? null,
          name: 'name' in l ? (l.name ?? null) : null,
          address: 'address' in l ? (l.address ?? null) : null,
          live: waType === 'liveLocationMessage',
        },
      },
    };
  }
  if (waType === 'contactMessage' || waType === 'contactsArrayMessage') {
    const cards = content.contactMessage ? [content.contactMessage] : (content.contactsArrayMessage?.contacts ?? []);
    return {
      type: 'contact',
      text:
        cards
          .map((c) => c.displayName)
          .filter(Boolean)
          .join(', ') || undefined,
      quoted,
      media: null,
      metadata: { contacts: cards.map((c) => ({ displayName: c.displayName ?? null, vcard: c.vcard ?? null })) },
    };
  }
  return { type: 'unsupported', quoted, media: null, metadata: { unsupportedType: waType } };
}

/** Sent as view-once: flagged on the key (Baileys 7) or wrapped in one of the view-once envelopes. */
function isViewOnce(msg: WAMessage): boolean {
  const m = msg.message;
  return msg.key.isViewOnce === true || !!(m?.viewOnceMessage || m?.viewOnceMessageV2 || m?.viewOnceMessageV2Extension);
}

/** The new text of an edited message (text, or a media caption); null when the edit carries none. */
export function editedTextOf(edited: proto.IMessage | null | undefined): string | null {
  const c = normalizeMessageContent(edited);
  // An edit wrapped once more as a protocol message (as older clients send it).
  const inner = c?.protocolMessage?.editedMessage ? normalizeMessageContent(c.protocolMessage.editedMessage) : c;
  const text =
    inner?.conversation ??
    inner?.extendedTextMessage?.text ??
    inner?.imageMessage?.caption ??
    inner?.videoMessage?.caption ??
    inner?.documentMessage?.caption ??
    null;
  return typeof text === 'string' ? text.slice(0, MAX_TEXT_CHARS) : null;
}

/*
 * A protocol message's type: a number in process (protobuf enum), the enum's name in JSON logged
 * through the proto's toJSON. Anything else is no type we act on.
 */
function protocolTypeOf(type: unknown): number | null {
  if (typeof type === 'number') return type;
  if (typeof type === 'string') {
    const byName = (proto.Message.ProtocolMessage.Type as unknown as Record<string, number | undefined>)[type];
    return typeof byName === 'number' ? byName : null;
  }
  return null;
}

/** Seconds since the epoch as Baileys carries them (number, Long, or a numeric string in logged JSON), as a date. */
export function dateOfSeconds(value: unknown): Date | null {
  let seconds: number;
  try {
    seconds = typeof value === 'string' ? Number(value) : toNumber(value as number);
  } catch {
    return null;
  }
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return null;
  const at = new Date(seconds * 1000);
  return Number.isNaN(at.getTime()) ? null : at;
}

const POLL_TYPES: ReadonlySet<string> = new Set([
  'pollCreationMessage',
  'pollCreationMessageV2',
  'pollCreationMessageV3',
  'pollCreationMessageV5',
]);
const MAX_POLL_OPTIONS = 32;

/** A poll's question and options, and what its votes need to be decrypted (see poll-votes.ts). */
function pollOf(content: proto.IMessage, waType: string, creatorJids: string[]): StoredPoll | null {
  const p = (content as Record<string, unknown>)[waType] as proto.Message.IPollCreationMessage | null | undefined;
  if (!p || typeof p !== 'object') return null;
  // Array.from, not map: a sparse array (holes in logged JSON) would keep its holes through map.
  const options = Array.from((Array.isArray(p.options) ? p.options : []).slice(0, MAX_POLL_OPTIONS), (o) =>
    typeof o?.optionName === 'string' ? o.optionName.slice(0, 200) : '',
  );
  const secret = bytesOf(content.messageContextInfo?.messageSecret);
  const count = Number(p.selectableOptionsCount);
  return {
    question: typeof p.name === 'string' ? p.name.slice(0, MAX_CAPTION_CHARS) : '',
    options,
    selectableCount: Number.isInteger(count) && count >= 0 ? count : null,
    encKey: secret ? Buffer.from(secret).toString('base64') : null,
    creatorJids,
    votes: {},
    tallies: Object.fromEntries(options.map((o) => [o, 0])),
  };
}

/** Bytes as they come: a Uint8Array in process, a base64 string (or a Buffer's JSON) in logs. */
function bytesOf(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value.length ? value : null;
  if (typeof value === 'string' && value) return Buffer.from(value, 'base64');
  if (
    value &&
    typeof value === 'object' &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  )
    return Uint8Array.from((value as { data: number[] }).data);
  return null;
}

/** The distinct user JIDs among these (device and agent parts removed), in order. */
function jidSpellings(jids: (string | null | undefined)[]): string[] {
  return [...new Set(jids.filter((j): j is string => typeof j === 'string' && j.length > 0).map((j) => jidNormalizedUser(j) || j))];
}

/** The provider id of the message a reply quotes: ours ("me/…") when its author is this number. */
function quotedId(info: proto.IContextInfo, remoteJid: string, ctx: NormaliseContext): string {
  const author = info.participant ? jidNormalizedUser(info.participant) : null;
  const fromMe = author !== null && ctx.ownJids.includes(author);
  return providerIdOf({ id: info.stanzaId, fromMe, remoteJid: info.remoteJid ?? remoteJid })!;
}

/** A key as older Baileys versions (6.x) wrote it: the phone of a LID-addressed sender in `senderPn` / `participantPn`. */
type AnyVersionKey = WAMessage['key'] & { senderPn?: string | null; participantPn?: string | null };

/*
 * The sender's JID and its other spelling (LID <-> phone): rc14 writes the latter in
 * remoteJidAlt / participantAlt, older versions in senderPn / participantPn. Both are read, so an
 * upgrade or a downgrade of Baileys never splits a contact in two.
 */
function senderJids(key: AnyVersionKey, group: boolean): (string | null | undefined)[] {
  return group ? [key.participant, key.participantAlt ?? key.participantPn] : [key.remoteJid, key.remoteJidAlt ?? key.senderPn];
}

/** Who sent it: the chat in a one-to-one conversation, the participant in a group; phone JID and LID when both are given. */
function senderIdentities(key: WAMessage['key'], group: boolean): WaIdentity[] {
  const jids = senderJids(key, group);
  const seen = new Set<string>();
  return jids.map(identityOf).filter((i): i is WaIdentity => i !== null && !seen.has(i.value) && (seen.add(i.value), true));
}
