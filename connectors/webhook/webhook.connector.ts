import type { Clock } from '../../engine/clock.ts';
import type { ChannelConnector, OutboundSend, SendReceipt } from '../../engine/ports/channel-connector.port.ts';
import type { SafeHttpClient } from '../http/safe-http-client.ts';
import type { WebhookChannels } from './webhook-channels.ts';
import { WebhookDeliveryRefusedError, WebhookDeliveryRetryError } from './webhook-send.errors.ts';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature.ts';

/**
 * The webhook channel's sends: each message is POSTed as JSON to the channel's URL, signed like
 * inbound requests (timestamp + HMAC-SHA256 of "<timestamp>.<body>" with the channel secret),
 * through the same address guard as the HTTP action. `id` (our message id) is also the provider
 * id: the service names it in status callbacks and may use it to drop a repeated delivery.
 * 5xx, 429, timeouts and connection errors retry with the send queue's backoff; other 4xx fail.
 * A deleted channel's messages never reach here: the send claim refuses them.
 */
export class WebhookConnector implements ChannelConnector {
  readonly kind = 'webhook' as const;

  constructor(private readonly deps: { channels: WebhookChannels; http: SafeHttpClient; clock: Clock }) {}

  async send(message: OutboundSend): Promise<SendReceipt> {
    const keys = await this.deps.channels.keysOf(message.channelId);
    if (!keys) throw new WebhookDeliveryRefusedError(message.channelId, 'the webhook channel no longer exists');
    if (keys.url === null) throw new WebhookDeliveryRefusedError(message.channelId, 'the webhook channel has no valid URL');
    const payload = {
      event: 'message',
      id: message.messageId,
      to: { contactId: message.to.contactId, phone: message.to.phone, externalIds: message.to.externalIds },
      type: message.type,
      text: message.text,
      media: message.media,
    };
    const timestampS = Math.floor(this.deps.clock.now().getTime() / 1000);
    // The client serialises the body with JSON.stringify too, so the signed bytes are the sent bytes.
    const signature = signWebhook(keys.secret, timestampS, JSON.stringify(payload));
    const res = await this.deps.http.request({
      method: 'POST',
      url: keys.url,
      headers: { [TIMESTAMP_HEADER]: String(timestampS), [SIGNATURE_HEADER]: signature },
      body: payload,
    });
    if (res.status >= 200 && res.status < 300) return { providerMessageId: message.messageId };
    if (res.status >= 500 || res.status === 429) throw new WebhookDeliveryRetryError(message.channelId, res.status);
    throw new WebhookDeliveryRefusedError(message.channelId, `the webhook refused the message with ${res.status}`);
  }
}
