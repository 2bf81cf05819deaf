import { Browsers, downloadMediaMessage, makeWASocket } from '@whiskeysockets/baileys';
import type { WaSocket, WaSocketFactory } from './whatsapp-socket.port.ts';

/** The production socket: a real Baileys connection to WhatsApp. */
export const baileysSocketFactory: WaSocketFactory = (opts) => {
  const sock = makeWASocket({
    auth: opts.auth,
    logger: opts.logger.child({ component: 'baileys' }),
    getMessage: opts.getMessage,
    // Baileys' default, kept explicit: pairing codes are accepted only for a browser WhatsApp knows.
    browser: Browsers.macOS('Chrome'),
    // History is not imported: the product starts from the messages that arrive after login.
    syncFullHistory: false,
    markOnlineOnConnect: false,
  });
  const socket: WaSocket = {
    on: (event, listener) => sock.ev.on(event, listener),
    sendMessage: (jid, content, options) => sock.sendMessage(jid, content, { messageId: options.messageId }),
    sendPresenceUpdate: (type, jid) => sock.sendPresenceUpdate(type, jid),
    requestPairingCode: (phone) => sock.requestPairingCode(phone),
    downloadMedia: (message) =>
      downloadMediaMessage(message, 'buffer', {}, { logger: opts.logger, reuploadRequest: sock.updateMediaMessage }),
    logout: () => sock.logout(),
    end: () => sock.end(undefined),
  };
  return socket;
};
