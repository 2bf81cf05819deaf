import type { ProviderStatusUpdate } from '../../engine/ports/channel-connector.port.ts';
import type { InboundSink } from '../../engine/ports/inbound-message.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Runtime } from '../../platform/runtime/runtime.ts';
import { baileysSocketFactory } from './baileys-socket.factory.ts';
import { fakeSocketFactoryFromEnv } from './fake-wa-socket.ts';
import { guardedMediaFetcher } from './guarded-media-fetch.ts';
import { LocalMediaStore } from './media-store.ts';
import { DEFAULT_LEASE_TTL_MS, WhatsappHost } from './whatsapp-host.ts';

/**
 * The WhatsApp host of a connector process, from the runtime's config. The real Baileys socket
 * is the default; only a test process (NODE_ENV=test) may ask for the fake one.
 */
export function createWhatsappHost(
  rt: Runtime,
  deps: { inbound: InboundSink; statuses: { apply(update: ProviderStatusUpdate): Promise<boolean> }; logger: Logger },
  env: NodeJS.ProcessEnv = process.env,
): WhatsappHost {
  const wa = rt.config.whatsapp;
  const mediaMaxBytes = wa?.mediaMaxBytes ?? 32 * 1024 * 1024;
  return new WhatsappHost({
    orm: rt.orm,
    redis: rt.redis,
    prefix: rt.config.redisPrefix,
    secretKey: rt.config.secretKey,
    socketFactory: fakeSocketFactoryFromEnv(env) ?? baileysSocketFactory,
    inbound: deps.inbound,
    statuses: deps.statuses,
    media: new LocalMediaStore(wa?.mediaDir ?? `${rt.config.dataDir}/media`),
    fetchMedia: guardedMediaFetcher({ allowHosts: rt.config.httpAllowHosts, maxBytes: mediaMaxBytes }),
    mediaMaxBytes,
    leaseTtlMs: wa?.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    maxChannels: wa?.maxChannelsPerProcess ?? 50,
    clock: rt.clock,
    logger: deps.logger,
  });
}
