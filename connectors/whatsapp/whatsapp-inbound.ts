import { proto, type MessageUserReceiptUpdate, type WAMessage } from '@whiskeysockets/baileys';
import { AppError } from '../../engine/errors/app-error.ts';
import type { ProviderStatusUpdate } from '../../engine/ports/channel-connector.port.ts';
import type { InboundMessage } from '../../engine/ports/inbound-message.ts';
import type { Logger } from '../../platform/logger.ts';
import type { PostgresAuthStore } from './auth-state.store.ts';
import { EXPECTED_IGNORE_REASONS, normaliseWaMessage, type NormalisedWaEvent, type PendingMedia } from './inbound-normaliser.ts';
import { linkLidToPhone } from './lid-mapping.sql.ts';
import { applyDelete, applyEdit } from './message-changes.sql.ts';
import { pauseBotInConversation, recordOwnerMessage } from './owner-message.sql.ts';
import { decryptVote, withVote } from './poll-votes.ts';
import { updatePoll } from './poll-votes.sql.ts';
import { applyReaction } from './reactions.sql.ts';
import { normaliseWaUpdate, type WaUpdateChange } from './update-normaliser.ts';
import { identityOf, providerIdOf } from './wa-ids.ts';
import type { SessionDeps, SessionView } from './whatsapp-session.ts';

/** Downloads of one message's media before it is marked failed. */
export const MEDIA_DOWNLOAD_ATTEMPTS = 3;
const MEDIA_RETRY_BASE_MS = 1_000;
/** Attempts to store an inbound message before it is logged as lost (1 s, 2 s, 4 s, 8 s apart). */
const ACCEPT_ATTEMPTS = 5;
const ACCEPT_RETRY_BASE_MS = 1_000;

/** Baileys' message status (proto.WebMessageInfo.Status) as our forward-only statuses. */
const STATUS_BY_WA: Partial<Record<number, ProviderStatusUpdate['status']>> = {
  [proto.WebMessageInfo.Status.ERROR]: 'failed',
  [proto.WebMessageInfo.Status.SERVER_ACK]: 'sent',
  [proto.WebMessageInfo.Status.DELIVERY_ACK]: 'delivered',
  [proto.WebMessageInfo.Status.READ]: 'read',
  // A voice note or video that was played was read.
  [proto.WebMessageInfo.Status.PLAYED]: 'read',
};

/**
 * What a WhatsApp number receives, as its session's socket reports it: messages (stored through
 * the inbound pipeline, media downloaded first), edits, deletes, reactions, poll votes, the
 * owner's own messages, delivery and read statuses, and LID mappings. The session calls one
 * handler per socket event, one event at a time.
 */
export class WhatsappInbound {
  /** Update items applied and skipped (malformed or not for us), for logs and tests. */
  readonly counts = { updatesApplied: 0, updatesSkipped: 0 };

  constructor(
    private readonly deps: Pick<
      SessionDeps,
      'channelId' | 'orm' | 'inbound' | 'statuses' | 'media' | 'mediaMaxBytes' | 'clock' | 'sleep'
    > & { store: PostgresAuthStore; log: Logger; isOwnSend(id: string): boolean },
    private readonly session: SessionView,
  ) {}

  async onMessage(msg: WAMessage): Promise<void> {
    if (typeof msg !== 'object' || msg === null || typeof msg.key !== 'object' || msg.key === null) {
      this.deps.log.warn('whatsapp upsert item without a key; skipped');
      return;
    }
    if (msg.key.fromMe && msg.key.id && this.deps.isOwnSend(msg.key.id)) return;
    const event = normaliseWaMessage(msg, {
      channelId: this.deps.channelId,
      groupsEnabled: this.session.settings.groupsEnabled,
      ownJids: this.session.ownJids,
    });
    await this.apply(event, msg);
  }

  private async apply(event: NormalisedWaEvent, msg: WAMessage): Promise<void> {
    const em = this.deps.orm.em.fork();
    const at = this.deps.clock.now();
    switch (event.kind) {
      case 'ignored':
        if (EXPECTED_IGNORE_REASONS.has(event.reason) || event.reason.startsWith('protocol:') || event.reason.startsWith('stub:'))
          this.deps.log.debug({ reason: event.reason, id: msg.key.id }, 'whatsapp message ignored');
        else this.deps.log.warn({ reason: event.reason, id: msg.key.id }, 'whatsapp message not usable; ignored');
        return;
      case 'edit':
      case 'delete':
        await this.applyChange(event);
        return;
      case 'poll_vote': {
        const target = { channelId: this.deps.channelId, providerMessageId: event.targetProviderMessageId };
        const found = await updatePoll(em, target, (poll) => {
          const options = event.vote ? decryptVote(poll, event.vote, { pollWaId: event.pollWaId, voterJids: event.voterJids }) : null;
          if (options === null)
            this.deps.log.info(
              { target: event.targetProviderMessageId },
              'poll vote we cannot decrypt (no key for this poll); kept as an unknown choice',
            );
          return withVote(poll, event.by, options, event.at ?? at);
        });
        if (!found) this.deps.log.info({ target: event.targetProviderMessageId }, 'vote on a poll we do not have');
        return;
      }
      case 'reaction':
        if (
          !(await applyReaction(em, {
            channelId: this.deps.channelId,
            providerMessageId: event.targetProviderMessageId,
            by: event.by,
            emoji: event.emoji,
            at: event.at ?? at,
          }))
        )
          this.deps.log.info({ target: event.targetProviderMessageId }, 'reaction to a message we do not have');
        return;
      case 'owner_message': {
        const result = await recordOwnerMessage(em, {
          channelId: this.deps.channelId,
          providerMessageId: event.providerMessageId,
          identities: event.identities,
          type: event.type,
          text: event.text,
          metadata: event.metadata,
          at: event.sentAt ?? at,
          pauseBot: this.session.settings.pauseBotOnOwnerMessage,
        });
        if (result.knownConversation) return;
        // A chat the product has not seen yet (the owner writing first): its contact and
        // conversation are created with the message, as for a first inbound message.
        const phone = event.identities.find((i) => i.kind === 'wa_jid')?.phone ?? undefined;
        const stored = await this.deps.inbound.acceptOwnerMessage({
          channelId: this.deps.channelId,
          providerMessageId: event.providerMessageId,
          from: { phone, externalIds: event.identities.map((i) => ({ kind: i.kind, value: i.value })) },
          type: event.type,
          text: event.text ?? undefined,
          metadata: event.metadata,
          sentAt: event.sentAt ?? at,
        });
        if (!stored.duplicate && this.session.settings.pauseBotOnOwnerMessage) await pauseBotInConversation(em, stored.conversationId);
        return;
      }
      case 'message': {
        const message = event.message;
        if (event.media) message.media = { ...message.media, ...(await this.download(msg, event.media, message)) };
        await this.completeIdentities(message);
        await this.acceptWithRetry(message);
      }
    }
  }

  /** An edit or a delete-for-everyone of a stored message, from either route (upsert or update). */
  private async applyChange(change: Extract<NormalisedWaEvent, { kind: 'edit' | 'delete' }>): Promise<void> {
    const em = this.deps.orm.em.fork();
    const at = change.at ?? this.deps.clock.now();
    const applied =
      change.kind === 'edit'
        ? await applyEdit(em, this.deps.channelId, change.targetProviderMessageId, change.text, at)
        : await applyDelete(em, this.deps.channelId, change.targetProviderMessageId, at);
    if (!applied) this.deps.log.info({ target: change.targetProviderMessageId, kind: change.kind }, 'change of a message we do not have');
  }

  /*
   * A message may name its sender by LID only or by phone only. Baileys keeps the LID <-> phone
   * mappings it learns in the auth state ('lid-mapping': "<pn user>" -> lid user, "<lid user>_reverse"
   * -> pn user), so the other identity is added from there: a contact first seen by LID and later
   * by phone is then found by either, even when the mapping arrived before we had the contact.
   */
  private async completeIdentities(message: InboundMessage): Promise<void> {
    const ids = message.from.externalIds ?? [];
    const jid = ids.find((i) => i.kind === 'wa_jid');
    const lid = ids.find((i) => i.kind === 'wa_lid');
    if ((jid && lid) || (!jid && !lid)) return;
    try {
      if (lid) {
        const lidUser = lid.value.split('@')[0]!;
        const pnUser = (await this.deps.store.get('lid-mapping', [`${lidUser}_reverse`]))[`${lidUser}_reverse`];
        const pn = pnUser ? identityOf(`${pnUser}@s.whatsapp.net`) : null;
        if (pn?.kind === 'wa_jid')
          message.from = {
            ...message.from,
            phone: message.from.phone ?? pn.phone ?? undefined,
            externalIds: [...ids, { kind: 'wa_jid', value: pn.value }],
          };
      } else if (jid) {
        const pnUser = jid.value.split('@')[0]!;
        const lidUser = (await this.deps.store.get('lid-mapping', [pnUser]))[pnUser];
        if (lidUser) message.from = { ...message.from, externalIds: [...ids, { kind: 'wa_lid', value: `${lidUser}@lid` }] };
      }
    } catch (err) {
      // The message matters more than the second identity: store it with the one it has.
      this.deps.log.warn({ err }, 'could not read the LID mapping; storing the message with the identity it carries');
    }
  }

  /*
   * Baileys has acknowledged the message to WhatsApp by now, so a failed store would lose it: a
   * passing failure (database restarting) is retried; an invalid message (the caller's fault) is not.
   */
  private async acceptWithRetry(message: InboundMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.inbound.accept(message);
        return;
      } catch (err) {
        const retryable = !(err instanceof AppError) || err.disposition === 'retry';
        if (!retryable || attempt >= ACCEPT_ATTEMPTS) {
          this.deps.log.error(
            { err, providerMessageId: message.providerMessageId, attempt },
            'whatsapp inbound message could not be stored',
          );
          return;
        }
        await this.deps.sleep(ACCEPT_RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
  }

  /** Downloads media into the store; on failure the message still flows, marked. */
  private async download(
    msg: WAMessage,
    media: PendingMedia,
    message: InboundMessage,
  ): Promise<{ storageKey?: string; sizeBytes?: number }> {
    const socket = this.session.socket;
    if (media.sizeBytes !== null && media.sizeBytes > this.deps.mediaMaxBytes) {
      message.metadata = { ...message.metadata, mediaError: 'too_large' };
      return {};
    }
    for (let attempt = 1; socket && attempt <= MEDIA_DOWNLOAD_ATTEMPTS; attempt++) {
      try {
        const data = await socket.downloadMedia(msg);
        if (data.length > this.deps.mediaMaxBytes) {
          message.metadata = { ...message.metadata, mediaError: 'too_large' };
          return {};
        }
        const storageKey = await this.deps.media.put(this.deps.channelId, `${msg.key.id ?? 'media'}${extensionOf(media.mimeType)}`, data);
        return { storageKey, sizeBytes: data.length };
      } catch (err) {
        this.deps.log.warn({ err, attempt, id: msg.key.id }, 'whatsapp media download failed');
        if (attempt < MEDIA_DOWNLOAD_ATTEMPTS) await this.deps.sleep(MEDIA_RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
    message.metadata = { ...message.metadata, mediaError: 'download_failed' };
    return {};
  }

  /** Each item on its own: a malformed one is skipped and counted, the rest of the batch still applies. */
  async onMessageUpdates(updates: unknown): Promise<void> {
    for (const item of Array.isArray(updates) ? (updates as unknown[]) : [updates]) {
      const normalised = normaliseWaUpdate(item, { groupsEnabled: this.session.settings.groupsEnabled });
      if (normalised.kind === 'skipped') {
        this.counts.updatesSkipped++;
        if (normalised.reason.startsWith('invalid_update'))
          this.deps.log.warn({ reason: normalised.reason }, 'whatsapp update item not usable; skipped');
        else this.deps.log.debug({ reason: normalised.reason }, 'whatsapp update item skipped');
        continue;
      }
      this.counts.updatesApplied++;
      for (const change of normalised.changes) await this.applyUpdateChange(change);
    }
  }

  private async applyUpdateChange(change: WaUpdateChange): Promise<void> {
    switch (change.kind) {
      case 'status': {
        const status = STATUS_BY_WA[change.status];
        if (status)
          await this.deps.statuses.apply({
            channelId: this.deps.channelId,
            providerMessageId: change.providerMessageId,
            status,
            at: this.deps.clock.now(),
            reason: status === 'failed' ? 'whatsapp reported an error' : undefined,
          });
        return;
      }
      case 'edit':
      case 'delete':
        await this.applyChange(change);
    }
  }

  /** Receipts per recipient (groups): read or played means read, a delivery receipt means delivered. */
  async onReceipts(receipts: MessageUserReceiptUpdate[]): Promise<void> {
    for (const { key, receipt } of receipts) {
      const providerMessageId = providerIdOf(key);
      if (!providerMessageId || !key.fromMe) continue;
      const status = receipt.readTimestamp || receipt.playedTimestamp ? 'read' : receipt.receiptTimestamp ? 'delivered' : null;
      if (status) await this.deps.statuses.apply({ channelId: this.deps.channelId, providerMessageId, status, at: this.deps.clock.now() });
    }
  }

  async onLidMapping(lid: string, pn: string): Promise<void> {
    const l = identityOf(lid);
    const p = identityOf(pn);
    if (l?.kind !== 'wa_lid' || p?.kind !== 'wa_jid') return;
    await linkLidToPhone(this.deps.orm.em.fork(), this.deps.channelId, l.value, p.value);
  }
}

function extensionOf(mimeType: string | null): string {
  const sub = mimeType?.split(';')[0]?.split('/')[1];
  return sub && /^[a-z0-9.+-]{1,20}$/.test(sub) ? `.${sub}` : '';
}
