import { jidNormalizedUser, type AuthenticationCreds, type ConnectionState } from '@whiskeysockets/baileys';
import type { ChannelStatus } from '../../engine/channels/channel-kind.ts';
import { whatsappSettingsOf, type WhatsappSettings } from '../../engine/channels/whatsapp-settings.ts';
import type { Clock } from '../../engine/clock.ts';
import type { OutboundSend, ProviderStatusUpdate, SendHandOver, SendReceipt } from '../../engine/ports/channel-connector.port.ts';
import type { InboundSink } from '../../engine/ports/inbound-message.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import type { Orm } from '../../platform/db/orm.ts';
import type { Logger } from '../../platform/logger.ts';
import { loadAuthState, PostgresAuthStore } from './auth-state.store.ts';
import type { ChannelEvents } from './channel-event-bus.ts';
import type { MediaFetcher } from './guarded-media-fetch.ts';
import type { MediaStore } from './media-store.ts';
import type { SendLog, Sleep } from './pacer.ts';
import { CONFLICT_RETRY_MS, disconnectCause, RECONNECT_POLICY, ReconnectBackoff, socketErrorCode } from './reconnect-policy.ts';
import type { SentContentStore } from './sent-content.store.ts';
import { StaleFenceError } from './stale-fence.error.ts';
import { identityOf } from './wa-ids.ts';
import { WhatsappInbound } from './whatsapp-inbound.ts';
import { WhatsappSender } from './whatsapp-sender.ts';
import { loadSession, setChannelStatus, setDesired } from './whatsapp-sessions.sql.ts';
import type { WaSocket, WaSocketFactory } from './whatsapp-socket.port.ts';

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
export type Phase = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

/** Where a session stands; only the session changes it. */
interface SessionState {
  socket: WaSocket | null;
  phase: Phase;
  /** Sending paused after WhatsApp restricted the number. */
  paused: boolean;
  settings: WhatsappSettings;
  /** This number's own ids (phone JID and LID), known once it has logged in. */
  ownJids: string[];
}

/** What the session's receiving and sending halves read of it. */
export type SessionView = Readonly<SessionState>;

/**
 * One WhatsApp number's live session in the process holding its lease: the socket and its
 * lifecycle (login, reconnect policy, fencing, logout). What it receives is handled by
 * WhatsappInbound (whatsapp-inbound.ts), what it sends by WhatsappSender (whatsapp-sender.ts).
 */
export class WhatsappSession {
  private readonly state: SessionState = { socket: null, phase: 'idle', paused: false, settings: whatsappSettingsOf({}), ownJids: [] };
  private pairingPhone: string | null = null;
  private pairingRequested = false;
  /** The creds Baileys works on (mutated in place): `registered` tells a login in progress from a session. */
  private creds: AuthenticationCreds | null = null;
  private conflictRetried = false;
  private cancelTimer: (() => void) | null = null;
  private readonly backoff: ReconnectBackoff;
  private readonly store: PostgresAuthStore;
  private readonly log: Logger;
  private readonly inbound: WhatsappInbound;
  private readonly sender: WhatsappSender;
  /** Work started by socket events, awaited by `stop` and by tests. */
  private readonly pending = new Set<Promise<unknown>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SessionDeps) {
    this.log = deps.logger.child({ channelId: deps.channelId });
    this.backoff = new ReconnectBackoff(deps.random);
    this.store = new PostgresAuthStore({
      orm: deps.orm,
      secretKey: deps.secretKey,
      channelId: deps.channelId,
      fenceToken: deps.fenceToken,
    });
    this.sender = new WhatsappSender({ ...deps, log: this.log }, this.state);
    this.inbound = new WhatsappInbound(
      { ...deps, store: this.store, log: this.log, isOwnSend: (id) => this.sender.isOwnSend(id) },
      this.state,
    );
  }

  get channelId(): string {
    return this.deps.channelId;
  }

  /** How many `messages.update` items were applied and skipped since the session started. */
  get updateCounts(): Readonly<{ updatesApplied: number; updatesSkipped: number }> {
    return { ...this.inbound.counts };
  }

  /** Opens the socket with the stored auth state (or fresh creds before the first login). */
  async start(): Promise<void> {
    if (this.state.phase === 'stopped') return;
    this.cancelTimer?.();
    this.cancelTimer = null;
    const row = await loadSession(this.deps.orm.em.fork(), this.deps.channelId);
    if (!row) {
      this.log.warn('whatsapp channel not found (deleted?); not connecting');
      return;
    }
    this.state.settings = whatsappSettingsOf(row.settings);
    this.pairingPhone = row.pairingPhone;
    this.pairingRequested = false;
    this.state.paused = row.status === 'restricted';
    const { state, saveCreds } = await loadAuthState(this.store, this.log);
    this.creds = state.creds;
    this.state.ownJids = [state.creds.me?.id, state.creds.me?.lid].filter((j): j is string => !!j).map((j) => jidNormalizedUser(j));
    await this.setStatus('connecting', null);
    const socket = this.deps.socketFactory({
      auth: state,
      logger: this.log,
      getMessage: async (key) => (key.id ? this.deps.sentContent.get(this.deps.channelId, key.id) : undefined),
    });
    this.state.socket = socket;
    this.state.phase = 'connecting';
    socket.on('creds.update', () => this.track(() => this.fenced(saveCreds)));
    socket.on('connection.update', (update) => this.track(() => this.onConnectionUpdate(socket, update, state.creds)));
    socket.on('messages.upsert', ({ messages, type }) => {
      // 'append' is history or the echo of our own sends: only live messages ('notify') are new.
      if (type === 'notify' && Array.isArray(messages)) for (const m of messages) this.track(() => this.inbound.onMessage(m));
    });
    socket.on('messages.update', (updates) => this.track(() => this.inbound.onMessageUpdates(updates)));
    socket.on('message-receipt.update', (receipts) => this.track(() => this.inbound.onReceipts(receipts)));
    socket.on('lid-mapping.update', (mapping) => this.track(() => this.inbound.onLidMapping(mapping.lid, mapping.pn)));
  }

  /** Closes the socket without logging out (shutdown, lease lost); waits for event work in progress. */
  async stop(): Promise<void> {
    this.state.phase = 'stopped';
    this.cancelTimer?.();
    this.state.socket?.end();
    this.state.socket = null;
    await this.settled();
  }

  /** Logs the number out on WhatsApp's side, wipes the auth state and stops wanting a socket. */
  async logout(reason = 'logout_requested'): Promise<void> {
    const socket = this.state.socket;
    this.state.phase = 'stopped';
    this.cancelTimer?.();
    if (socket)
      await socket.logout().catch((err: unknown) => this.log.warn({ err }, 'whatsapp logout call failed; wiping the session anyway'));
    socket?.end();
    this.state.socket = null;
    await this.wipe(reason);
  }

  /** Re-reads the channel's settings (groups, pacing, owner pause). */
  async reloadSettings(): Promise<void> {
    const row = await loadSession(this.deps.orm.em.fork(), this.deps.channelId);
    if (row) this.state.settings = whatsappSettingsOf(row.settings);
  }

  /** Resolves when the work started by events so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /**
   * Sends one message, paced: gap and caps, "typing" for a time proportional to the text. Sends
   * run one at a time, in call order (see WhatsappSender).
   */
  send(message: OutboundSend, handOver?: SendHandOver): Promise<SendReceipt> {
    return this.sender.send(message, handOver);
  }

  private async onConnectionUpdate(socket: WaSocket, update: Partial<ConnectionState>, creds: AuthenticationCreds): Promise<void> {
    if (socket !== this.state.socket) return;
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
      this.state.phase = 'open';
      this.backoff.reset();
      this.conflictRetried = false;
      // Baileys has filled creds.me by now (at pairing, or from the stored creds).
      this.state.ownJids = [creds.me?.id, creds.me?.lid].filter((j): j is string => !!j).map((j) => jidNormalizedUser(j));
      const me = identityOf(creds.me?.id);
      const phone = me?.kind === 'wa_jid' ? me.phone : null;
      await this.setStatus(
        this.state.paused ? 'restricted' : 'connected',
        this.state.paused ? 'sending paused after a restriction' : null,
        phone,
      );
    }
    if (update.connection === 'close') await this.onClose(update.lastDisconnect?.error);
  }

  private async onClose(error: unknown): Promise<void> {
    this.state.socket = null;
    if (this.state.phase === 'stopped') return;
    this.state.phase = 'waiting';
    const cause = disconnectCause(error);
    if (this.creds && !this.creds.registered && cause !== 'restart_required' && cause !== 'logged_out') {
      // Nobody scanned the QR or typed the code before WhatsApp gave up: reconnecting would only
      // rotate QR codes forever. A person starts again with POST /connect.
      this.state.phase = 'stopped';
      await setDesired(this.deps.orm.em.fork(), this.deps.channelId, false);
      await this.setStatus('disconnected', `login_not_completed (${cause})`);
      return;
    }
    const rule = RECONNECT_POLICY[cause];
    this.log.info({ cause, action: rule.action, socketError: socketErrorCode(error) ?? undefined }, 'whatsapp connection closed');
    switch (rule.action) {
      case 'wipe_and_stop':
        this.state.phase = 'stopped';
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
          this.state.phase = 'stopped';
          await setDesired(this.deps.orm.em.fork(), this.deps.channelId, false);
          return;
        }
        this.conflictRetried = true;
        this.later(CONFLICT_RETRY_MS);
        return;
      case 'pause_and_alert':
        this.state.paused = true;
        this.state.phase = 'stopped';
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

  private async wipe(reason: string): Promise<void> {
    await this.fenced(() => this.store.clear());
    await setDesired(this.deps.orm.em.fork(), this.deps.channelId, false);
    await this.setStatus('logged_out', reason);
  }

  private async alert(action: string, details: Record<string, unknown>): Promise<void> {
    const em = this.deps.orm.em.fork();
    const row = await loadSession(em, this.deps.channelId);
    audit(em, {
      workspaceId: row?.workspaceId ?? null,
      actor: { kind: 'system', id: null },
      action,
      target: { kind: 'channel', id: this.deps.channelId },
      details,
    });
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
        this.state.phase = 'stopped';
        this.state.socket?.end();
        this.state.socket = null;
        this.deps.onFenced(this.deps.channelId);
        return;
      }
      throw err;
    }
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
