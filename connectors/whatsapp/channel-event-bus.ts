import { ChannelEventSchema, type ChannelEvent } from '../../engine/channels/channel-event.ts';
import type { Redis } from '../../platform/redis.ts';

/** JSON from Redis, or undefined when it is not JSON (a stray publish must not throw in an event handler). */
export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** How long the latest QR or pairing code stays readable for an editor that subscribes late. */
export const LOGIN_CODE_TTL_MS = 60_000;

/**
 * Channel events over Redis pub/sub, between the connector process that holds the session and
 * the API process serving `GET /channels/:id/events`. The latest QR or pairing code is also kept
 * for LOGIN_CODE_TTL_MS, so a page opened between two rotations shows it at once.
 */
export class ChannelEvents {
  constructor(private readonly deps: { redis: Redis; prefix: string }) {}

  topic(channelId: string): string {
    return `${this.deps.prefix}:wa:events:${channelId}`;
  }

  private loginKey(channelId: string): string {
    return `${this.deps.prefix}:wa:login:${channelId}`;
  }

  async publish(channelId: string, event: ChannelEvent): Promise<void> {
    const payload = JSON.stringify(event);
    if (event.type === 'qr' || event.type === 'pairing_code')
      await this.deps.redis.set(this.loginKey(channelId), payload, 'PX', LOGIN_CODE_TTL_MS);
    else if (event.status !== 'qr' && event.status !== 'pairing') await this.deps.redis.del(this.loginKey(channelId));
    await this.deps.redis.publish(this.topic(channelId), payload);
  }

  /** The QR or pairing code still current, if any. */
  async latestLoginCode(channelId: string): Promise<ChannelEvent | null> {
    const raw = await this.deps.redis.get(this.loginKey(channelId));
    if (!raw) return null;
    const parsed = ChannelEventSchema.safeParse(parseJson(raw));
    return parsed.success ? parsed.data : null;
  }

  /** Calls `listener` for every event of the channel until the returned function is called. */
  async subscribe(channelId: string, listener: (event: ChannelEvent) => void): Promise<() => Promise<void>> {
    // A subscribed connection can run no other command: one of its own per subscriber.
    const sub = this.deps.redis.duplicate();
    sub.on('error', () => undefined);
    sub.on('message', (_topic: string, raw: string) => {
      const parsed = ChannelEventSchema.safeParse(parseJson(raw));
      if (parsed.success) listener(parsed.data);
    });
    await sub.subscribe(this.topic(channelId));
    return async () => {
      await sub.quit().catch(() => sub.disconnect());
    };
  }
}
