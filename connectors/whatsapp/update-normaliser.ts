import { isJidGroup, proto } from '@whiskeysockets/baileys';
import { z } from 'zod';
import { zodIssueLine } from '../../engine/errors/zod-issue-details.ts';
import { dateOfSeconds, editedTextOf } from './inbound-normaliser.ts';
import { providerIdOf } from './wa-ids.ts';

/** One change a `messages.update` item asks for. */
export type WaUpdateChange =
  /** A delivery status of one of our messages (proto.WebMessageInfo.Status). */
  | { kind: 'status'; providerMessageId: string; status: number }
  | { kind: 'edit'; targetProviderMessageId: string; text: string; at: Date | null }
  | { kind: 'delete'; targetProviderMessageId: string; at: Date | null };

/** What one `messages.update` item means: its changes (maybe none), or a skip with the reason (counted by the session). */
export type NormalisedWaUpdate = { kind: 'changes'; changes: WaUpdateChange[] } | { kind: 'skipped'; reason: string };

/*
 * An update item is checked on its own before anything reads it: one malformed item (no key, a
 * key without an id) is skipped and the rest of its batch still applies. Status updates of our
 * own messages may name the chat by LID, by phone or not at all, so the chat is optional here.
 */
const WaUpdateItemSchema = z.object({
  key: z.object({
    id: z.string().min(1).max(200),
    remoteJid: z.string().min(3).max(200).nullish(),
    fromMe: z.boolean().nullish(),
    participant: z.string().max(200).nullish(),
  }),
  update: z.record(z.string(), z.unknown()),
});

export interface UpdateNormaliseContext {
  groupsEnabled: boolean;
}

/** Turns one `messages.update` item into the changes the session applies. */
export function normaliseWaUpdate(item: unknown, ctx: UpdateNormaliseContext): NormalisedWaUpdate {
  try {
    return normaliseChecked(item, ctx);
  } catch (err) {
    // As for upserts: a garbled edit body costs that one item, never the rest of its batch.
    return { kind: 'skipped', reason: `invalid_update: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}` };
  }
}

function normaliseChecked(item: unknown, ctx: UpdateNormaliseContext): NormalisedWaUpdate {
  const checked = WaUpdateItemSchema.safeParse(item);
  if (!checked.success) return { kind: 'skipped', reason: `invalid_update: ${zodIssueLine(checked.error)}` };
  const { key } = checked.data;
  const update = checked.data.update as Partial<proto.IWebMessageInfo>;
  const providerMessageId = providerIdOf(key);
  if (!providerMessageId) return { kind: 'skipped', reason: 'no_message_key' };
  const changes: WaUpdateChange[] = [];
  if (typeof update.status === 'number' && key.fromMe) changes.push({ kind: 'status', providerMessageId, status: update.status });

  const isContentChange = update.message !== undefined;
  if (isContentChange && key.remoteJid && isJidGroup(key.remoteJid) && !ctx.groupsEnabled)
    return changes.length ? { kind: 'changes', changes } : { kind: 'skipped', reason: 'group_disabled' };
  if (update.message && typeof update.message === 'object') {
    // Baileys turns a MESSAGE_EDIT into this update: the key is the edited message's (the chat's
    // key with the inner id), the message is `{ editedMessage: { message } }`. It is never a new message.
    if (!update.message.editedMessage)
      return changes.length ? { kind: 'changes', changes } : { kind: 'skipped', reason: 'message_update_not_an_edit' };
    const text = editedTextOf(update.message.editedMessage.message);
    if (text === null) return changes.length ? { kind: 'changes', changes } : { kind: 'skipped', reason: 'edit_without_text' };
    changes.push({ kind: 'edit', targetProviderMessageId: providerMessageId, text, at: dateOfSeconds(update.messageTimestamp) });
  } else if (update.message === null && update.messageStubType === proto.WebMessageInfo.StubType.REVOKE) {
    changes.push({ kind: 'delete', targetProviderMessageId: providerMessageId, at: dateOfSeconds(update.messageTimestamp) });
  }
  return { kind: 'changes', changes };
}
