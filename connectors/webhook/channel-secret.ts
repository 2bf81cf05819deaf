import { open, seal } from '../../platform/crypto/sealed-box.ts';

function aad(channelId: string): string {
  return `channel:${channelId}:webhook-secret`;
}

/** The channel's signing secret, sealed for `channels.credentials`. */
export function sealWebhookSecret(key: Buffer, channelId: string, secret: string): Buffer {
  return seal(key, Buffer.from(secret, 'utf8'), aad(channelId));
}

/** The channel's secret from its sealed form (WebhookChannels keeps it opened). */
export function openWebhookSecret(key: Buffer, channelId: string, sealed: Buffer): string {
  return open(key, sealed, aad(channelId)).toString('utf8');
}
