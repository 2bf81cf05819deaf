import type { Clock } from '../../engine/clock.ts';
import type { ChannelConnector, OutboundSend, SendReceipt } from '../../engine/ports/channel-connector.port.ts';
import type { Logger } from '../../platform/logger.ts';

/** An outbound message as the sandbox "delivered" it, for a test-chat UI or a test to observe. */
export interface SandboxOutbound extends OutboundSend {
  providerMessageId: string;
  at: Date;
}

export type SandboxOutboundListener = (message: SandboxOutbound) => void;

/**
 * Where the sandbox's receipts go: told that a message was "delivered" to the sandbox, it
 * reports `delivered` and then `read` through the status path a real provider uses. Durable
 * (BullMQ delayed jobs, `platform/pipeline/sandbox-receipts.ts`): a connector process that dies
 * after a send does not take the message's receipts with it.
 */
export interface SandboxReceiptScheduler {
  sent(receipt: { channelId: string; providerMessageId: string }): Promise<void>;
}

/**
 * The sandbox channel: no phone and no outside system. `send` "delivers" at once, tells the
 * `onOutbound` listeners, then has its receipts scheduled (`delivered`, a little later `read`)
 * before it returns. The provider id is derived from the message id, so a resend of the same
 * message after a crash carries the same provider id and an observer keyed on it shows it once;
 * that is why the composition root may register it with `deduplicatesSends: true`.
 */
/** The id the sandbox gives a message it "sends": derived from ours, so a retried send keeps it. */
export function sandboxProviderMessageId(messageId: string): string {
  return `sandbox:${messageId}`;
}

export class SandboxConnector implements ChannelConnector {
  readonly kind = 'sandbox' as const;
  private readonly listeners = new Set<SandboxOutboundListener>();

  constructor(private readonly deps: { receipts: SandboxReceiptScheduler; clock: Clock; logger: Logger }) {}

  /** Observes every outbound sandbox message; returns a function that stops observing. */
  onOutbound(listener: SandboxOutboundListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(message: OutboundSend): Promise<SendReceipt> {
    const providerMessageId = sandboxProviderMessageId(message.messageId);
    const delivered: SandboxOutbound = { ...message, providerMessageId, at: this.deps.clock.now() };
    for (const listener of this.listeners) {
      try {
        listener(delivered);
      } catch (err) {
        this.deps.logger.error({ err, messageId: message.messageId }, 'sandbox outbound listener failed');
      }
    }
    await this.deps.receipts.sent({ channelId: message.channelId, providerMessageId });
    return { providerMessageId };
  }
}
