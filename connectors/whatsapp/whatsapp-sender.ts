import { generateMessageIDV2, type AnyMessageContent, type WAMessage } from '@whiskeysockets/baileys';
import type { OutboundSend, SendHandOver, SendReceipt } from '../../engine/ports/channel-connector.port.ts';
import type { Logger } from '../../platform/logger.ts';
import { Pacer } from './pacer.ts';
import { recipientJid } from './wa-ids.ts';
import { SendingPausedError, SessionNotReadyError, UnsendableMessageError, WhatsappSendFailedError } from './whatsapp-send.errors.ts';
import type { SessionDeps, SessionView } from './whatsapp-session.ts';

/** Ids of our own sends remembered to recognise their echo (bounded: the echo comes within seconds). */
const OWN_SEND_IDS_KEPT = 500;

/**
 * What a WhatsApp number sends, through its session's socket: one message at a time, paced
 * (gap and caps from the channel's settings, "typing" first), its content kept for WhatsApp's
 * retry requests, and its id remembered so that its echo is not taken for the owner's message.
 */
export class WhatsappSender {
  private readonly pacer: Pacer;
  /** The end of the last send asked for: the next one starts after it. */
  private sendTurn: Promise<unknown> = Promise.resolve();
  private readonly ownSendIds = new Set<string>();

  constructor(
    private readonly deps: Pick<
      SessionDeps,
      'channelId' | 'media' | 'fetchMedia' | 'sendLog' | 'sentContent' | 'clock' | 'sleep' | 'random'
    > & { log: Logger },
    private readonly session: SessionView,
  ) {
    this.pacer = new Pacer({
      clock: deps.clock,
      sleep: deps.sleep,
      random: deps.random,
      settings: () => session.settings.pacing,
      log: deps.sendLog,
    });
  }

  /** True for the WhatsApp id of a message this session sent (its echo comes back as the owner's). */
  isOwnSend(id: string): boolean {
    return this.ownSendIds.has(id);
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
    if (this.session.paused) throw new SendingPausedError(this.deps.channelId);
    const socket = this.session.socket;
    if (!socket || this.session.phase !== 'open') throw new SessionNotReadyError(this.deps.channelId, this.session.phase);
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
    const waId = generateMessageIDV2(this.session.ownJids[0]);
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
    if (sent?.message)
      await this.deps.sentContent
        .save(this.deps.channelId, id, sent.message)
        .catch((err: unknown) => this.deps.log.warn({ err }, 'could not keep sent content for retries'));
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

  private rememberOwnSend(id: string): void {
    this.ownSendIds.add(id);
    if (this.ownSendIds.size > OWN_SEND_IDS_KEPT) this.ownSendIds.delete(this.ownSendIds.values().next().value!);
  }
}
