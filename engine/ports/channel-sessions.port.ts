import type { ChannelEvent } from '../channels/channel-event.ts';

/**
 * What the API asks of the channels whose connection is a session held by a connector process
 * (WhatsApp: one socket per number, held under a lease). The API says what it wants; the
 * implementation records it and tells the process holding the session, so no route knows where
 * a session is kept or how the processes talk.
 */
export interface ChannelSessions {
  /** The number should be linked: a rotating QR, or a pairing code sent to `pairingPhone`. */
  connect(channelId: string, pairingPhone: string | null): Promise<void>;
  /** Logs the number out and wipes its keys: by the process holding the session, or at once when none does. */
  logout(channelId: string): Promise<void>;
  /** The channel is deleted: the number is unlinked and no process takes the session again. */
  remove(channelId: string): Promise<void>;
  /** The channel's settings changed: the process holding the session reads them again. */
  settingsChanged(channelId: string): Promise<void>;
  /** Live login events of the channel until the returned function is called. */
  subscribe(channelId: string, onEvent: (event: ChannelEvent) => void): Promise<() => Promise<void>>;
  /** The QR or pairing code shown last, while it is still valid, for a page that opens late. */
  latestLoginCode(channelId: string): Promise<ChannelEvent | null>;
}
