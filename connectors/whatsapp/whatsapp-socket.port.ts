import type {
  AnyMessageContent,
  AuthenticationState,
  BaileysEventMap,
  proto,
  WAMessage,
  WAMessageKey,
  WAPresence,
} from '@whiskeysockets/baileys';
import type { Logger } from '../../platform/logger.ts';

/*
 * The narrow port between the WhatsApp session and Baileys. Only this folder sees Baileys types;
 * the session talks to a WaSocket, production builds it with `makeWASocket`
 * (baileys-socket.factory.ts) and tests with a socket whose events they emit themselves
 * (fake-wa-socket.ts), carrying real Baileys objects.
 */

/** The Baileys events the session listens to. */
export type WaEventName =
  'connection.update' | 'creds.update' | 'messages.upsert' | 'messages.update' | 'message-receipt.update' | 'lid-mapping.update';
export type WaEventMap = Pick<BaileysEventMap, WaEventName>;

export interface WaSocketOptions {
  auth: AuthenticationState;
  /** Baileys asks for a message it must re-encrypt for a retry; answered from our store. */
  getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined>;
  logger: Logger;
}

/** What the session needs from a live WhatsApp socket, and nothing more. */
export interface WaSocket {
  on<E extends WaEventName>(event: E, listener: (arg: WaEventMap[E]) => void): void;
  /** Sends with our own message id (known before the send, so its echo is recognised). */
  sendMessage(jid: string, content: AnyMessageContent, options: { messageId: string }): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: WAPresence, jid: string): Promise<void>;
  /** Asks for an 8-character pairing code for `phoneDigits` (digits only, country code first). */
  requestPairingCode(phoneDigits: string): Promise<string>;
  /** Downloads and decrypts the media of a message. */
  downloadMedia(message: WAMessage): Promise<Buffer>;
  /** Logs the linked device out on WhatsApp's side. */
  logout(): Promise<void>;
  /** Closes the connection without logging out (shutdown, lease lost). */
  end(): void;
}

export type WaSocketFactory = (opts: WaSocketOptions) => WaSocket;
