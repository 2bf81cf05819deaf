import { generateMessageIDV2, jidNormalizedUser, proto, type AnyMessageContent, type AuthenticationCreds, type ConnectionState, type WAMessage, type MessageUserReceiptUpdate } from '@whiskeysockets/baileys';
import type { ChannelStatus } from '../../engine/channels/channel-kind.ts';
import { AppError } from '../../engine/errors/app-error.ts';
import type { Clock } from '../../engine/clock.ts';
import type { OutboundSend, ProviderStatusUpdate, SendHandOver, SendReceipt } from '../../engine/ports/channel-connector.port.ts';
import type { InboundMessage, InboundSink } from '../../engine/ports/inbound-message.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import type { Orm } from '../../platform/db/orm.ts';
import type { Logger } from '../../platform/logger.ts';
import { loadAuthState, PostgresAuthStore } from './auth-state.store.ts';
import type { ChannelEvents } from './channel-events.ts';
import { EXPECTED_IGNORE_REASONS, normaliseWaMessage, type NormalisedWaEvent, type PendingMedia } from './inbound-normaliser.ts';
import { linkLidToPhone } from './lid-mapping.sql.ts';
import type { MediaFetcher } from './guarded-media-fetch.ts';
import type { MediaStore } from './media-store.ts';
import { applyDelete, applyEdit } from './message-changes.sql.ts';
import { applyReaction } from './reactions.sql.ts';
import { decryptVote, withVote } from './poll-votes.ts';
import { updatePoll } from './poll-votes.sql.ts';
import { normaliseWaUpdate, type WaUpdateChange } from './update-normaliser.ts';
import { pauseBotInConversation, recordOwnerMessage } from './owner-message.sql.ts';
import { Pacer, type SendLog, type Sleep } from './pacer.ts';
import { CONFLICT_RETRY_MS, disconnectCause, RECONNECT_POLICY, ReconnectBackoff, socketErrorCode } from './reconnect-policy.ts';
import type { SentContentStore } from './sent-content.store.ts';
import { StaleFenceError } from './stale-fence.error.ts';
import { identityOf, providerIdOf, recipientJid } from './wa-ids.ts';
import { SendingPausedError, SessionNotReadyError, UnsendableMessageError, WhatsappSendFailedError } from './whatsapp-send.errors.ts';
import { loadSession, setChannelStatus, setDesired } from './whatsapp-sessions.sql.ts';
import { whatsappSettingsOf, type WhatsappSettings } from '../../engine/channels/whatsapp-settings.ts';
import type { WaSocket, WaSocketFactory } from './whatsapp-socket.port.ts';

/** Downloads of one message's media before it is marked failed. */
export const MEDIA_DOWNLOAD_ATTEMPTS = 3;
const MEDIA_RETRY_BASE_MS = 1_000;
/** Attempts to store an inbound message before it is logged as lost (1 s, 2 s, 4 s, 8 s apart). */
const ACCEPT_ATTEMPTS = 5;
const ACCEPT_RETRY_BASE_MS = 1_000;
/** Ids of our own sends remembered to recognise their echo (bounded: the echo comes within seconds). */
const OWN_SEND_IDS_KEPT = 500;

/** Baileys' message status (proto.WebMessageInfo.Status) as our forward-only statuses. */
const STATUS_BY_WA: Partial<Record<number, ProviderStatusUpdate['status']>> = {
  [proto.WebMessageInfo.Status.ERROR]: 'failed',
  [proto.WebMessageInfo.Status.SERVER_ACK]: 'sent',
  [proto.WebMessageInfo.Status.DELIVERY_ACK]: 'delivered',
  [proto.WebMessageInfo.Status.READ]: 'read',
  // A voice note or video that was played was read.
  [proto.WebMessageInfo.Status.PLAYED]: 'read',
};

export type Schedule = (fn: () => void, ms: number) => () => void;
export const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export interface SessionDeps {
  channelId: string;
  fenceToken: number;
  orm: Orm;
  secretKey: Buffer;
  socketFactory: WaSocketFactory;
  inbound: InboundSink;
  statuses: { apply(update: ProviderStatusUpdate): Promise<boolean> };
  events: ChannelEvents;
  media: MediaStore;
  /** Media of an outbound message given by URL, behind the HTTP action's address guard. */
  fetchMedia: MediaFetcher;
  /** This number's send times (kept across restarts and failovers, for the caps). */
  sendLog: SendLog;
  sentContent: SentContentStore;
  mediaMaxBytes: number;
  clock: Clock;
  sleep: Sleep;
  schedule: Schedule;
  random: () => number;
  logger: Logger;
  /** The session cannot go on here (stale fence: another process holds it); the host drops it. */
  onFenced(channelId: string): void;
}

/** Where the session is in its lifecycle; see README.md. */
type Phase = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

/**
 * One WhatsApp number's live session in the process holding its lease: the socket, the
 * reconnect policy, inbound normalisation, status updates and paced sends.
 */
export class WhatsappSession {
  private socket: WaSocket | null = null;
  private phase: Phase = 'idle';
  private paused = false;
  private settings: WhatsappSettings = whatsappSettingsOf({});
  private pairingPhone: string | null = null;
  private pairingRequested = false;
  /** The creds Baileys works on (mutated in place): `registered` tells a login in progress from a session. */
  private creds: AuthenticationCreds | null = null;
  private conflictRetried = false;
  private ownJids: string[] = [];
  private readonly ownSendIds = new Set<string>();
  private cancelTimer: (() => void) | null = null;
  private readonly backoff: ReconnectBackoff;
  private readonly pacer: Pacer;
  /** The end of the last send asked for: the next one starts after it. */
  private sendTurn: Promise<unknown> = Promise.resolve();
  private readonly store: PostgresAuthStore;
  private readonly log: Logger;
  /** Work started by socket events, awaited by `stop` and by tests. */
  private readonly pending = new Set<Promise<unknown>>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Update items applied and skipped (malformed or not for us), for logs and tests. */
  private readonly counts = { updatesApplied: 0, updatesSkipped: 0 };

  constructor(private readonly deps: SessionDeps) {
    this.log = deps.logger.child({ channelId: deps.channelId });
    this.backoff = new ReconnectBackoff(deps.random);
    this.pacer = new Pacer({ clock: deps.clock, sleep: deps.sleep, random: deps.random, settings: () => this.settings.pacing, log: deps.sendLog });
    this.store = new PostgresAuthStore({ orm: deps.orm, secretKey: deps.secretKey, channelId: deps.channelId, fenceToken: deps.fenceToken });
  }

  get channelId(): string {
    return this.deps.channelId;
  }

  /** How many `messages.update` items were applied and skipped since the session started. */
  get updateCounts(): Readonly<{ updatesApplied: number; updatesSkipped: number }> {
    return { ...this.counts };
  }

  /** Opens the socket with the stored auth state (or fresh creds before the first login). */
  async start(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.cancelTimer?.();
    this.cancelTimer = null;
    const row = await loadSession(this.deps.orm.em.fork(), this.deps.channelId);
    if (!row) {
      this.log.warn('whatsapp channel not found (deleted?); not connecting');
      return;
    }
    this.settings = whatsappSettingsOf(row.settings);
    this.pairingPhone = row.pairingPhone;
    this.pairingRequested = false;
    this.paused = row.status === 'restricted';
    const { state, saveCreds } = await loadAuthState(this.store, this.log);
    this.creds = state.creds;
    this.ownJids = [state.creds.me?.id, state.creds.me?.lid].filter((j): j is string => !!j).map((j) => jidNormalizedUser(j));
    await this.setStatus('connecting', null);
    const socket = this.deps.socketFactory({
      auth: state,
      logger: this.log,
      getMessage: async (key) => (key.id ? this.deps.sentContent.get(this.deps.channelId, key.id) : undefined),
    });
    this.socket = socket;
    this.phase = 'connecting';
    socket.on('creds.update', () => this.track(() => this.fenced(saveCreds)));
    socket.on('connection.update', (update) => this.track(() => this.onConnectionUpdate(socket, update, state.creds)));
    socket.on('messages.upsert', ({ messages, type }) => {
      // 'append' is history or the echo of our own sends: only live messages ('notify') are new.
      if (type === 'notify' && Array.isArray(messages)) for (const m of messages) this.track(() => this.onMessage(m));
    });
    socket.on('messages.update', (updates) => this.track(() => this.onMessageUpdates(updates)));
    socket.on('message-receipt.update', (receipts) => this.track(() => this.onReceipts(receipts)));
    socket.on('lid-mapping.update', (mapping) => this.track(() => this.onLidMapping(mapping.lid, mapping.pn)));
  }

  /** Closes the socket without logging out (shutdown, lease lost); waits for event work in progress. */
  async stop(): Promise<void> {
    this.phase = 'stopped';
    this.cancelTimer?.();
    this.socket?.end();
    this.socket = null;
    await this.settled();
  }

  /** Logs the number out on WhatsApp's side, wipes the auth state and stops wanting a socket. */
  async logout(reason = 'logout_requested'): Promise<void> {
    const socket = this.socket;
    this.phase = 'stopped';
    this.cancelTimer?.();
    if (socket) await socket.logout().catch((err: unknown) => this.log.warn({ err }, 'whatsapp logout call failed; wiping the session anyway'));
    socket?.end();
    this.socket = null;
    await this.wipe(reason);
  }

  /** Re-reads the channel's settings (groups, pacing, owner pause). */
  async reloadSettings(): Promise<void> {
    const row = await loadSession(this.deps.orm.em.fork(), this.deps.channelId);
    if (row) this.settings = whatsappSettingsOf(row.settings);
  }

  /** Resolves when the work started by events so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /**
   * Sends one message, paced: gap and caps, "typing" for a time proportional to the text. Sends
   * run one at a time, in call order: the channel's send queue and its broadcast batches both
   * call here, and the pacer's gap holds only between sends that do not overlap.
   */
  send(message: OutboundSend, handOver?: SendHandOver): Promise<SendReceipt> {
    const turn = this.sendTurn.then(() => this.sendNow(message, handOver));
    this.sendTurn = turn.catch(() => undefined);
    return turn;
  }

  private async sendNow(message: OutboundSend, handOver?: SendHandOver): Promise<SendReceipt> {
    if (this.paused) throw new SendingPausedError(this.deps.channelId);
    const socket = this.socket;
    if (!socket || this.phase !== 'open') throw new SessionNotReadyError(this.deps.channelId, this.phase);
    const jid = recipientJid(message.to);
    if (!jid) throw new UnsendableMessageError(message.messageId, 'the contact has no phone number or WhatsApp id');
    const content = await this.contentOf(message);
    await this.pacer.waitTurn();
    if (message.text) {
      await socket.sendPresenceUpdate('composing', jid).catch(() => undefined);
      await this.deps.sleep(this.pacer.typingMs(message.text));
      await socket.sendPresenceUpdate('paused', jid).catch(() => undefined);
    }
    // Our own id, known before the send, so the echo of this message is never taken for the owner's.
    const waId = generateMessageIDV2(this.ownJids[0]);
    this.rememberOwnSend(waId);
    let sent: WAMessage | undefined;
    // From here a crash leaves the outcome unknown (the pacing and typing waits above do not).
    await handOver?.handingOver();
    try {
      sent = await socket.sendMessage(jid, content as AnyMessageContent, { messageId: waId });
    } catch (cause) {
      throw new WhatsappSendFailedError(message.messageId, { cause });
    }
    await this.pacer.recordSend();
    const id = sent?.key.id ?? waId;
    if (sent?.message) await this.deps.sentContent.save(this.deps.channelId, id, sent.message).catch((err: unknown) => this.log.warn({ err }, 'could not keep sent content for retries'));
    return { providerMessageId: `me/${id}` };
  }

  private async contentOf(message: OutboundSend): Promise<Record<string, unknown>> {
    if (message.type === 'text') {
      if (!message.text) throw new UnsendableMessageError(message.messageId, 'a text message without text');
      return { text: message.text };
    }
    const media = message.media;
    let data: Buffer;
    let fetchedMime: string | null = null;
    if (media?.storageKey) data = await this.deps.media.get(media.storageKey);
    else if (media?.url) ({ data, mimeType: fetchedMime } = await this.deps.fetchMedia(media.url));
    else throw new UnsendableMessageError(message.messageId, 'a media message without a file or URL');
    const mimeType = media.mimeType ?? fetchedMime ?? undefined;
    const caption = media.caption ?? message.text ?? undefined;
    switch (message.type) {
      case 'image':
        return { image: data, caption, mimetype: mimeType };
      case 'video':
        return { video: data, caption, mimetype: mimeType };
      case 'audio':
        return { audio: data, mimetype: mimeType ?? 'audio/ogg; codecs=opus' };
      case 'document':
        return { document: data, mimetype: mimeType ?? 'application/octet-stream', fileName: media.fileName ?? 'file', caption };
      default:
        throw new UnsendableMessageError(message.messageId, `type ${message.type} cannot be sent`);
    }
  }

  private async onConnectionUpdate(socket: WaSocket, update: Partial<ConnectionState>, creds: AuthenticationCreds): Promise<void> {
    if (socket !== this.socket) return;
    if (update.qr) {
      if (this.pairingPhone) {
        if (!this.pairingRequested) {
          this.pairingRequested = true;
          const code = await socket.requestPairingCode(this.pairingPhone.replace(/\D/g, ''));
          await this.setStatus('pairing', null);
          await this.deps.events.publish(this.deps.channelId, { type: 'pairing_code', code, at: this.now() });
        }
      } else {
        await this.setStatus('qr', null);
        await this.deps.events.publish(this.deps.channelId, { type: 'qr', qr: update.qr, at: this.now() });
      }
    }
    if (update.connection === 'open') {
      this.phase = 'open';
      this.backoff.reset();
      this.conflictRetried = false;
      // Baileys has filled creds.me by now (at pairing, or from the stored creds).
      this.ownJids = [creds.me?.id, creds.me?.lid].filter((j): j is string => !!j).map((j) => jidNormalizedUser(j));
      const me = identityOf(creds.me?.id);
      const phone = me?.kind === 'wa_jid' ? me.phone : null;
      await this.setStatus(this.paused ? 'restricted' : 'connected', this.paused ? 'sending paused after a restriction' : null, phone);
    }
    if (update.connection === 'close') await this.onClose(update.lastDisconnect?.error);
  }

  private async onClose(error: unknown): Promise<void> {
    this.socket = null;
    if (this.phase === 'stopped') return;
    this.phase = 'waiting';
    const cause = disconnectCause(error);
    if (this.creds && !this.creds.registered && cause !== 'restart_required' && cause !== 'logged_out') {
      // Nobody scanned the QR or typed the code before WhatsApp gave up: reconnecting would only
      // rotate QR codes forever. A person starts again with POST /connect.
      this.phase = 'stopped';
      await setDesired(this.deps.orm.em.fork(), this.deps.channelId, false);
      await this.setStatus('disconnected', `login_not_completed (${cause})`);
      return;
    }
    const rule = RECONNECT_POLICY[cause];
    this.log.info({ cause, action: rule.action, socketError: socketErrorCode(error) ?? undefined }, 'whatsapp connection closed');
    switch (rule.action) {
      case 'wipe_and_stop':
        this.phase = 'stopped';
        await this.wipe(cause);
        return;
      case 'reconnect_now':
        await this.setStatus(rule.status, cause);
        await this.start();
        return;
      case 'backoff_once':
        await this.setStatus(rule.status, cause);
        if (this.conflictRetried) {
          // A second conflict in a row: another client wants this number; a person decides (connect again).
          this.phase = 'stopped';
          await setDesired(this.deps.orm.em.fork(), this.deps.channelId, false);
          return;
        }
        this.conflictRetried = true;
        this.later(CONFLICT_RETRY_MS);
        return;
      case 'pause_and_alert':
        this.paused = true;
        this.phase = 'stopped';
        await this.setStatus(rule.status, cause);
        await this.alert('channel.restricted', { cause });
        return;
      case 'backoff': {
        const { delayMs, breakerOpen } = this.backoff.next();
        await this.setStatus(rule.status, breakerOpen ? `${cause}; reconnects paused (circuit open)` : cause);
        this.later(delayMs);
        return;
      }
    }
  }

  private later(ms: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.deps.schedule(() => {
      this.cancelTimer = null;
      this.track(() => this.start());
    }, ms);
  }

  private async onMessage(msg: WAMessage): Promise<void> {
    if (typeof msg !== 'object' || msg === null || typeof msg.key !== 'object' || msg.key === null) {
      this.log.warn('whatsapp upsert item without a key; skipped');
      return;
    }
    if (msg.key.fromMe && msg.key.id && this.ownSendIds.has(msg.key.id)) return;
    const event = normaliseWaMessage(msg, { channelId: this.deps.channelId, groupsEnabled: this.settings.groupsEnabled, ownJids: this.ownJids });
    await this.apply(event, msg);
  }

  private async apply(event: NormalisedWaEvent, msg: WAMessage): Promise<void> {
    const em = this.deps.orm.em.fork();
    const at = this.deps.clock.now();
    switch (event.kind) {
      case 'ignored':
        if (EXPECTED_IGNORE_REASONS.has(event.reason) || event.reason.startsWith('protocol:') || event.reason.startsWith('stub:')) this.log.debug({ reason: event.reason, id: msg.key.id }, 'whatsapp message ignored');
        else this.log.warn({ reason: event.reason, id: msg.key.id }, 'whatsapp message not usable; ignored');
        return;
      case 'edit':
      case 'delete':
        await this.applyChange(event);
        return;
      case 'poll_vote': {
        const target = { channelId: this.deps.channelId, providerMessageId: event.targetProviderMessageId };
        const found = await updatePoll(em, target, (poll) => {
          const options = event.vote ? decryptVote(poll, event.vote, { pollWaId: event.pollWaId, voterJids: event.voterJids }) : null;
          if (options === null) this.log.info({ target: event.targetProviderMessageId }, 'poll vote we cannot decrypt (no key for this poll); kept as an unknown choice');
          return withVote(poll, event.by, options, event.at ?? at);
        });
        if (!found) this.log.info({ target: event.targetProviderMessageId }, 'vote on a poll we do not have');
        return;
      }
      case 'reaction':
        if (!(await applyReaction(em, { channelId: this.deps.channelId, providerMessageId: event.targetProviderMessageId, by: event.by, emoji: event.emoji, at: event.at ?? at }))) this.log.info({ target: event.targetProviderMessageId }, 'reaction to a message we do not have');
        return;
      case 'owner_message': {
        const result = await recordOwnerMessage(em, { channelId: this.deps.channelId, providerMessageId: event.providerMessageId, identities: event.identities, type: event.type, text: event.text, metadata: event.metadata, at: event.sentAt ?? at, pauseBot: this.settings.pauseBotOnOwnerMessage });
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
        if (!stored.duplicate && this.settings.pauseBotOnOwnerMessage) await pauseBotInConversation(em, stored.conversationId);
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
    const applied = change.kind === 'edit' ? await applyEdit(em, this.deps.channelId, change.targetProviderMessageId, change.text, at) : await applyDelete(em, this.deps.channelId, change.targetProviderMessageId, at);
    if (!applied) this.log.info({ target: change.targetProviderMessageId, kind: change.kind }, 'change of a message we do not have');
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
        const pnUser = (await this.store.get('lid-mapping', [`${lidUser}_reverse`]))[`${lidUser}_reverse`];
        const pn = pnUser ? identityOf(`${pnUser}@s.whatsapp.net`) : null;
        if (pn?.kind === 'wa_jid') message.from = { ...message.from, phone: message.from.phone ?? pn.phone ?? undefined, externalIds: [...ids, { kind: 'wa_jid', value: pn.value }] };
      } else if (jid) {
        const pnUser = jid.value.split('@')[0]!;
        const lidUser = (await this.store.get('lid-mapping', [pnUser]))[pnUser];
        if (lidUser) message.from = { ...message.from, externalIds: [...ids, { kind: 'wa_lid', value: `${lidUser}@lid` }] };
      }
    } catch (err) {
      // The message matters more than the second identity: store it with the one it has.
      this.log.warn({ err }, 'could not read the LID mapping; storing the message with the identity it carries');
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
          this.log.error({ err, providerMessageId: message.providerMessageId, attempt }, 'whatsapp inbound message could not be stored');
          return;
        }
        await this.deps.sleep(ACCEPT_RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
  }

  /** Downloads media into the store; on failure the message still flows, marked. */
  private async download(msg: WAMessage, media: PendingMedia, message: InboundMessage): Promise<{ storageKey?: string; sizeBytes?: number }> {
    const socket = this.socket;
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
        this.log.warn({ err, attempt, id: msg.key.id }, 'whatsapp media download failed');
        if (attempt < MEDIA_DOWNLOAD_ATTEMPTS) await this.deps.sleep(MEDIA_RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
    message.metadata = { ...message.metadata, mediaError: 'download_failed' };
    return {};
  }

  /** Each item on its own: a malformed one is skipped and counted, the rest of the batch still applies. */
  private async onMessageUpdates(updates: unknown): Promise<void> {
    for (const item of Array.isArray(updates) ? (updates as unknown[]) : [updates]) {
      const normalised = normaliseWaUpdate(item, { groupsEnabled: this.settings.groupsEnabled });
      if (normalised.kind === 'skipped') {
        this.counts.updatesSkipped++;
        if (normalised.reason.startsWith('invalid_update')) this.log.warn({ reason: normalised.reason }, 'whatsapp update item not usable; skipped');
        else this.log.debug({ reason: normalised.reason }, 'whatsapp update item skipped');
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
        if (status) await this.deps.statuses.apply({ channelId: this.deps.channelId, providerMessageId: change.providerMessageId, status, at: this.deps.clock.now(), reason: status === 'failed' ? 'whatsapp reported an error' : undefined });
        return;
      }
      case 'edit':
      case 'delete':
        await this.applyChange(change);
    }
  }

  /** Receipts per recipient (groups): read or played means read, a delivery receipt means delivered. */
  private async onReceipts(receipts: MessageUserReceiptUpdate[]): Promise<void> {
    for (const { key, receipt } of receipts) {
      const providerMessageId = providerIdOf(key);
      if (!providerMessageId || !key.fromMe) continue;
      const status = receipt.readTimestamp || receipt.playedTimestamp ? 'read' : receipt.receiptTimestamp ? 'delivered' : null;
      if (status) await this.deps.statuses.apply({ channelId: this.deps.channelId, providerMessageId, status, at: this.deps.clock.now() });
    }
  }

  private async onLidMapping(lid: string, pn: string): Promise<void> {
    const l = identityOf(lid);
    const p = identityOf(pn);
    if (l?.kind !== 'wa_lid' || p?.kind !== 'wa_jid') return;
    await linkLidToPhone(this.deps.orm.em.fork(), this.deps.channelId, l.value, p.value);
  }

  private async wipe(reason: string): Promise<void> {
    await this.fenced(() => this.store.clear());
    await setDesired(this.deps.orm.em.fork(), this.deps.channelId, false);
    await this.setStatus('logged_out', reason);
  }

  private async alert(action: string, details: Record<string, unknown>): Promise<void> {
    const em = this.deps.orm.em.fork();
    const row = await loadSession(em, this.deps.channelId);
    audit(em, { workspaceId: row?.workspaceId ?? null, actor: { kind: 'system', id: null }, action, target: { kind: 'channel', id: this.deps.channelId }, details });
    await em.flush();
    this.log.error({ action, ...details }, 'whatsapp channel needs attention');
  }

  private async setStatus(status: ChannelStatus, reason: string | null, display: string | null = null): Promise<void> {
    await setChannelStatus(this.deps.orm.em.fork(), this.deps.channelId, status, reason, display);
    await this.deps.events.publish(this.deps.channelId, { type: 'status', status, reason, at: this.now() });
  }

  /** Runs an auth-state write; a stale fence ends the session here at once. */
  private async fenced(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (err instanceof StaleFenceError) {
        this.log.error({ err }, 'another process holds this session; closing the socket here');
        this.phase = 'stopped';
        this.socket?.end();
        this.socket = null;
        this.deps.onFenced(this.deps.channelId);
        return;
      }
      throw err;
    }
  }

  private rememberOwnSend(id: string): void {
    this.ownSendIds.add(id);
    if (this.ownSendIds.size > OWN_SEND_IDS_KEPT) this.ownSendIds.delete(this.ownSendIds.values().next().value!);
  }

  /*
   * Socket events are handled one at a time, in the order Baileys emitted them: two messages of
   * one chat are stored in order, and an edit never runs before the message it edits is stored.
   */
  private track(work: () => Promise<unknown>): void {
    const p = this.queue.then(work).catch((err: unknown) => this.log.error({ err }, 'whatsapp event handling failed'));
    this.queue = p;
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

function extensionOf(mimeType: string | null): string {
  const sub = mimeType?.split(';')[0]?.split('/')[1];
  return sub && /^[a-z0-9.+-]{1,20}$/.test(sub) ? `.${sub}` : '';
}

