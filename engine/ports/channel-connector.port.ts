import type { ChannelKind } from '../channels/channel-kind.ts';
import type { MediaRef, MessageType } from '../messages/message-content.ts';

/** One outbound message as a connector receives it: everything needed to send, nothing else. */
export interface OutboundSend {
  messageId: string;
  workspaceId: string;
  channelId: string;
  /** Recorded before the provider is called; a connector passes it on where the provider supports one. */
  idempotencyKey: string;
  to: { contactId: string; phone: string | null; externalIds: { kind: string; value: string }[] };
  type: MessageType;
  text: string | null;
  media: MediaRef | null;
}

/** The provider's answer to a send. */
export interface SendReceipt {
  providerMessageId: string;
}

/** A status a provider reports for one of our outbound messages. */
export interface ProviderStatusUpdate {
  channelId: string;
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: Date;
  reason?: string;
}

/**
 * Given to `send` for connectors that wait before the provider call (pacing, typing): calling
 * `handingOver()` just before the provider is given the message records the attempt as in
 * flight. A crash before that point is then known not to have reached the provider, and the
 * message is simply sent again instead of failing as "outcome unknown".
 */
export interface SendHandOver {
  handingOver(): Promise<void>;
}

/**
 * What every channel adapter implements to send. Errors thrown must be AppErrors: `retry`
 * disposition for transient failures (retried with backoff), `never` for permanent ones
 * (the message is marked failed with the reason).
 */
export interface ChannelConnector {
  readonly kind: ChannelKind;
  send(message: OutboundSend, handOver?: SendHandOver): Promise<SendReceipt>;
}
