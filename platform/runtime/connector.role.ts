import { SandboxConnector } from '../../connectors/sandbox/sandbox.connector.ts';
import { SafeHttpClient } from '../../connectors/http/safe-http-client.ts';
import { WebhookConnector } from '../../connectors/webhook/webhook.connector.ts';
import { WebhookChannels } from '../../connectors/webhook/webhook-channels.ts';
import { createWhatsappHost } from '../../connectors/whatsapp/whatsapp-host.factory.ts';
import type { InboundSink } from '../../engine/ports/inbound-message.ts';
import { InboundPipeline } from '../pipeline/inbound-pipeline.ts';
import { SandboxReceipts } from '../pipeline/sandbox-receipts.ts';
import { ConnectorRegistry } from '../pipeline/connector-registry.ts';
import { SendWorker } from '../pipeline/send-worker.ts';
import { StatusUpdater } from '../pipeline/status-updater.ts';
import type { Runtime } from './runtime.ts';

/*
 * Sends in flight per sandbox channel. The sends of a process share their claim and record-sent
 * statements (SendMessageProcessor), so many in flight cost a few connections, not one each; with
 * 16, the engine bench's replies waited ~260 ms in the send queue and capped it near 600/s.
 */
const SANDBOX_SENDS_IN_FLIGHT = 64;

/*
 * POSTs in flight per webhook channel. One at a time capped a channel near 100 replies/s (the
 * ingress bench: replies 21 s late at p99). A conversation's replies still go one after the
 * other (the claim waits for its earlier message); the receiving service sees up to this many
 * requests at once, and a crash leaves at most this many messages in doubt (nothing guarantees the
 * service drops a repeat, so a send found in flight after a crash fails instead of resending).
 */
const WEBHOOK_SENDS_IN_FLIGHT = 16;

export interface ConnectorRoleHandle {
  /** Starts the send worker of a new channel here and announces it to the other processes. */
  channelAdded(channelId: string): Promise<void>;
  /** Stops listening for new channels and closes the send workers (in-flight sends finish). */
  stop(): Promise<void>;
}

/**
 * The connector role: the connectors this process hosts (the sandbox; the WhatsApp sessions whose
 * leases it holds), a send worker per channel of those kinds, and the status updater they report to.
 * `inbound` is the process's pipeline (its listeners hand messages to the engine).
 */
export async function startConnectorRole(rt: Runtime, deps: { inbound?: InboundSink } = {}): Promise<ConnectorRoleHandle> {
  const logger = rt.logger.child({ role: 'connector' });
  const statuses = new StatusUpdater({ orm: rt.orm, logger });
  const inbound = deps.inbound ?? new InboundPipeline({ orm: rt.orm, logger: logger.child({ component: 'inbound' }), clock: rt.clock });
  // One socket per number across processes: a WhatsApp channel sends only where its lease is held,
  // one message at a time (the pacer keeps the number's pace); WhatsApp does not deduplicate resends.
  const whatsapp = createWhatsappHost(rt, { inbound, statuses, logger: logger.child({ connector: 'whatsapp' }) });
  // Receipts are delayed jobs that any connector process runs: they outlive the process that sent.
  const receipts = new SandboxReceipts({ queues: rt.queues, statuses, clock: rt.clock, logger: logger.child({ connector: 'sandbox' }) });
  receipts.startWorker();
  const sandbox = new SandboxConnector({ receipts, clock: rt.clock, logger: logger.child({ connector: 'sandbox' }) });
  // The sandbox derives its provider id from the message id, so a resend after a crash is
  // recognised; it has no pace to keep, so a channel sends many messages at once.
  const connectors = new ConnectorRegistry()
    .register(sandbox, { deduplicatesSends: true, sendsInFlightPerChannel: SANDBOX_SENDS_IN_FLIGHT })
    .register(whatsapp, { deduplicatesSends: false, hostedByLease: true, marksHandOver: true })
    // The receiving service may drop a repeat by our message id, but nothing guarantees it does.
    .register(
      new WebhookConnector({
        channels: new WebhookChannels({ orm: rt.orm, secretKey: rt.config.secretKey }),
        http: new SafeHttpClient({ allowHosts: rt.config.httpAllowHosts }),
        clock: rt.clock,
      }),
      { deduplicatesSends: false, sendsInFlightPerChannel: WEBHOOK_SENDS_IN_FLIGHT },
    );
  const sendWorker = new SendWorker({
    orm: rt.orm,
    queues: rt.queues,
    redis: rt.redis,
    connectors,
    logger,
    clock: rt.clock,
    meter: rt.billing.meter,
  });
  await sendWorker.start();
  await whatsapp.start(sendWorker);
  logger.info({ channels: (await sendWorker.activeChannels()).length }, 'connector: send workers started');
  return {
    channelAdded: (channelId) => sendWorker.channelAdded(channelId),
    async stop() {
      // Sessions first: their leases are released so that another process takes them at once.
      await whatsapp.stop();
      await sendWorker.stop();
    },
  };
}

/**
 * For a process without the connector role (`onemessage api`): announces new channels to the
 * connector processes. A SendWorker with no connectors starts no worker here; its channelAdded
 * only publishes the announcement, so the topic stays defined in one place.
 */
export function channelAnnouncer(rt: Runtime): { channelAdded(channelId: string): Promise<void> } {
  const announcer = new SendWorker({
    orm: rt.orm,
    queues: rt.queues,
    redis: rt.redis,
    connectors: new ConnectorRegistry(),
    logger: rt.logger.child({ role: 'api' }),
    clock: rt.clock,
  });
  return { channelAdded: (channelId) => announcer.channelAdded(channelId) };
}
