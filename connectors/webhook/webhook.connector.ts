import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import type { ChannelConnector, OutboundSend, SendReceipt } from '../../engine/ports/channel-connector.port.ts';
import type { SafeHttpClient } from '../http/safe-http-client.ts';
import type { Orm } from '../../platform/db/orm.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { WebhookSettingsSchema } from './webhook-payloads.ts';
import { openWebhookSecret } from './webhook-secret.ts';
import { WebhookDeliveryRefusedError, WebhookDeliveryRetryError } from './webhook-send.errors.ts';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature.ts';

const CHANNEL_SQL = `select settings, credentials from channels where id = cast(:channelId as uuid) and kind = 'webhook' and deleted_at is null`;
const WebhookChannelRow = z.object({ settings: z.unknown(), credentials: z.instanceof(Buffer).nullable() });

/**
 * The webhook channel's sends: each message is POSTed as JSON to the channel's URL, signed like
 * inbound requests (timestamp + HMAC-SHA256 of "<timestamp>.<body>" with the channel secret),
 * through the same address guard as the HTTP action. `id` (our message id) is also the provider
 * id: the service names it in status callbacks and may use it to drop a repeated delivery.
 * 5xx, 429, timeouts and connection errors retry with the send queue's backoff; other 4xx fail.
 */
export class WebhookConnector implements ChannelConnector {
  readonly kind = 'webhook' as const;

  constructor(private readonly deps: { orm: Orm; http: SafeHttpClient; secretKey: Buffer; clock: Clock }) {}

  async send(message: OutboundSend): Promise<SendReceipt> {
    const row = (await runSql(this.deps.orm.em.fork(), CHANNEL_SQL, { channelId: message.channelId }, { row: WebhookChannelRow })).rows[0];
    if (!row) throw new WebhookDeliveryRefusedError(message.channelId, 'the webhook channel no longer exists');
    const settings = WebhookSettingsSchema.safeParse(row.settings);
    if (!settings.success || !row.credentials)
      throw new WebhookDeliveryRefusedError(message.channelId, 'the webhook channel has no valid URL or secret');
    const secret = openWebhookSecret(this.deps.secretKey, message.channelId, row.credentials);
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
    const signature = signWebhook(secret, timestampS, JSON.stringify(payload));
    const res = await this.deps.http.request({
      method: 'POST',
      url: settings.data.url,
      headers: { [TIMESTAMP_HEADER]: String(timestampS), [SIGNATURE_HEADER]: signature },
      body: payload,
    });
    if (res.status >= 200 && res.status < 300) return { providerMessageId: message.messageId };
    if (res.status >= 500 || res.status === 429) throw new WebhookDeliveryRetryError(message.channelId, res.status);
    throw new WebhookDeliveryRefusedError(message.channelId, `the webhook refused the message with ${res.status}`);
  }
}
