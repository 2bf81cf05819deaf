import { EventEmitter } from 'node:events';
import type { AnyMessageContent, WAMessage } from '@whiskeysockets/baileys';
import { proto } from '@whiskeysockets/baileys';
import type { WaEventMap, WaEventName, WaSocket, WaSocketFactory, WaSocketOptions } from './whatsapp-socket.port.ts';

/**
 * A WaSocket that never touches the network, for tests: the test emits Baileys events (built
 * from Baileys' own `proto` classes and `initAuthCreds`) and reads what the session sent.
 * Production never selects it: see `fakeSocketFactoryFromEnv`.
 */
export class FakeWaSocket implements WaSocket {
  private readonly ev = new EventEmitter();
  readonly sent: { jid: string; content: AnyMessageContent; messageId: string }[] = [];
  readonly presences: { type: string; jid: string; at: number }[] = [];
  readonly pairingRequests: string[] = [];
  loggedOut = false;
  ended = false;
  /** What `downloadMedia` does; a test replaces it to fail or to return other bytes. */
  download: (message: WAMessage) => Promise<Buffer> = async () => Buffer.from('fake media');
  sendFailure: Error | null = null;

  constructor(readonly opts: WaSocketOptions) {}

  on<E extends WaEventName>(event: E, listener: (arg: WaEventMap[E]) => void): void {
    this.ev.on(event, listener);
  }

  /** Emits a Baileys event to the session, as the real socket would. */
  emit<E extends WaEventName>(event: E, arg: WaEventMap[E]): void {
    this.ev.emit(event, arg);
  }

  async sendMessage(jid: string, content: AnyMessageContent, options: { messageId: string }): Promise<WAMessage | undefined> {
    if (this.sendFailure) throw this.sendFailure;
    this.sent.push({ jid, content, messageId: options.messageId });
    const text = (content as { text?: string }).text;
    return proto.WebMessageInfo.fromObject({
      key: { remoteJid: jid, fromMe: true, id: options.messageId },
      message: text ? { conversation: text } : { imageMessage: { caption: 'media' } },
      status: proto.WebMessageInfo.Status.PENDING,
    }) as WAMessage;
  }

  async sendPresenceUpdate(type: string, jid: string): Promise<void> {
    this.presences.push({ type, jid, at: Date.now() });
  }

  async requestPairingCode(phoneDigits: string): Promise<string> {
    this.pairingRequests.push(phoneDigits);
    return 'ABCD1234';
  }

  downloadMedia(message: WAMessage): Promise<Buffer> {
    return this.download(message);
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
  }

  end(): void {
    this.ended = true;
  }
}

/** A factory that records every socket it makes (the session makes a new one per reconnect). */
export function recordingFakeFactory(): { factory: WaSocketFactory; sockets: FakeWaSocket[]; last(): FakeWaSocket } {
  const sockets: FakeWaSocket[] = [];
  return {
    sockets,
    factory: (opts) => {
      const socket = new FakeWaSocket(opts);
      sockets.push(socket);
      return socket;
    },
    last: () => {
      const s = sockets.at(-1);
      if (!s) throw new Error('no fake socket was created yet');
      return s;
    },
  };
}

/** The phone JID the auto-opening fake logs in as. */
export const FAKE_OWN_JID = '15550009999:1@s.whatsapp.net';

/**
 * A fake that logs in and opens by itself a moment after it is made (for tests with real
 * connector processes, which cannot be driven event by event): it writes creds as a completed
 * pairing would, then reports the connection open.
 */
export const autoOpenFakeFactory: WaSocketFactory = (opts) => {
  const socket = new FakeWaSocket(opts);
  setTimeout(() => {
    if (!opts.auth.creds.registered) {
      opts.auth.creds.registered = true;
      opts.auth.creds.me = { id: FAKE_OWN_JID, name: 'fake' };
      socket.emit('creds.update', { registered: true, me: opts.auth.creds.me });
    }
    socket.emit('connection.update', { connection: 'open' });
  }, 50).unref();
  return socket;
};

/** The QR the QR-showing fake reports (what a browser test expects to see rendered). */
export const FAKE_QR = '2@fake-qr-for-browser-tests,fake-noise-key,fake-identity-key,fake-adv-secret';

/**
 * A fake that waits for a login like a new number does: it reports a QR a moment after it is
 * made and stays there (for browser tests of the login page, which cannot drive events).
 */
export const qrFakeFactory: WaSocketFactory = (opts) => {
  const socket = new FakeWaSocket(opts);
  setTimeout(() => socket.emit('connection.update', { qr: FAKE_QR }), 50).unref();
  return socket;
};

/**
 * The socket factory a process uses: a fake only when NODE_ENV is `test` and
 * ONEMESSAGE_WA_FAKE_SOCKET is `auto-open` or `qr`; otherwise null (use the real Baileys socket).
 */
export function fakeSocketFactoryFromEnv(env: NodeJS.ProcessEnv): WaSocketFactory | null {
  if (env.NODE_ENV !== 'test') return null;
  if (env.ONEMESSAGE_WA_FAKE_SOCKET === 'auto-open') return autoOpenFakeFactory;
  if (env.ONEMESSAGE_WA_FAKE_SOCKET === 'qr') return qrFakeFactory;
  return null;
}
