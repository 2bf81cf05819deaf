import { BroadcastJobs } from '../broadcasts/broadcast-jobs.worker.ts';
import { BroadcastReconciler } from '../broadcasts/broadcast-reconciler.ts';
import type { Engine } from '../automation/engine.ts';
import type { Inbox } from '../inbox/inbox.ts';
import { InboxReconciler } from '../inbox/inbox-reconciler.ts';
import { OutboxReconciler } from '../pipeline/outbox-reconciler.ts';
import { UsageFolder } from '../billing/usage-deltas.ts';
import type { Outbox } from '../pipeline/outbox.ts';
import type { Runtime } from './runtime.ts';
import { BillingEventProcessor } from '../billing/billing-event.processor.ts';
import { BillingJobs } from '../billing/billing-jobs.ts';
import { PrivacyService, RetentionJobs } from '../../connectors/retention/retention-jobs.ts';
import { ContactImportJobs } from '../contacts/contact-import-jobs.ts';
import { SafeHttpClient } from '../../connectors/http/safe-http-client.ts';
import { WebhookDeliverer } from '../webhooks/webhook-deliverer.ts';
import { WebhookJobs } from '../webhooks/webhook-jobs.ts';

/** How often the outbox reconciler looks for queued messages whose send job was lost. */
export const RECONCILE_INTERVAL_MS = 15_000;
/** How often the engine reconciler looks for unhandled messages and overdue waits whose jobs were lost. */
export const ENGINE_RECONCILE_INTERVAL_MS = 5_000;
/** How often the broadcast reconciler looks for broadcasts whose jobs were lost. */
export const BROADCAST_RECONCILE_INTERVAL_MS = 30_000;
/** How often the billing reconciler queues lost Stripe events and resumes broadcasts whose quota returned. */
export const BILLING_RECONCILE_INTERVAL_MS = 30_000;
/** How often the inbox reconciler looks for lapsed agents, lost kicks and lost timers. */
export const INBOX_RECONCILE_INTERVAL_MS = 5_000;
/** How often the webhook reconciler looks for pending deliveries whose job was lost, and deletes old delivery logs. */
export const WEBHOOK_RECONCILE_INTERVAL_MS = 30_000;

export interface WorkerRoleHandle {
  stop(): Promise<void>;
}

/**
 * The worker role: the engine's background work: flow runs (inbox drains, timers, the engine
 * reconciler), the outbox reconciler, and broadcasts (starts, recurring occurrences, flow
 * batches, finish checks, their reconciler); retention sweeps, contact exports and
 * housekeeping (connectors/retention); contact CSV imports (platform/contacts); billing events join it as their issue lands.
 * Message batches of broadcasts run where their channel's connector runs.
 */
export async function startWorkerRole(rt: Runtime, deps: { outbox: Outbox; engine: Engine; inbox: Inbox }): Promise<WorkerRoleHandle> {
  const logger = rt.logger.child({ role: 'worker' });
  const reconciler = new OutboxReconciler({ orm: rt.orm, queues: rt.queues, outbox: deps.outbox, logger, clock: rt.clock });
  reconciler.start(RECONCILE_INTERVAL_MS);
  deps.engine.startWorkers({ reconcileIntervalMs: ENGINE_RECONCILE_INTERVAL_MS });
  const broadcastDeps = { orm: rt.orm, queues: rt.queues, clock: rt.clock, logger: logger.child({ component: 'broadcasts' }) };
  const broadcasts = new BroadcastJobs({ ...broadcastDeps, triggered: deps.engine.triggered });
  broadcasts.start();
  const broadcastReconciler = new BroadcastReconciler(broadcastDeps);
  broadcastReconciler.start(BROADCAST_RECONCILE_INTERVAL_MS);
  const billingLogger = logger.child({ component: 'billing' });
  // Deltas are counted only while billing is off, but folded whatever the setting: a restart with billing on folds what was counted before.
  const usageFolder = new UsageFolder({ orm: rt.orm, logger: billingLogger });
  usageFolder.start();
  let billingJobs: BillingJobs | null = null;
  const provider = rt.billing.provider;
  if (provider) {
    const processor = new BillingEventProcessor({
      orm: rt.orm,
      provider,
      catalog: rt.billing.catalog,
      logger: billingLogger,
      planChanged: async (workspaceId) => void (await billingJobs?.resumeQuotaPaused(workspaceId)),
    });
    billingJobs = new BillingJobs({
      orm: rt.orm,
      queues: rt.queues,
      clock: rt.clock,
      logger: billingLogger,
      billing: rt.billing,
      processor,
    });
    billingJobs.start(BILLING_RECONCILE_INTERVAL_MS);
  }
  const privacyDeps = {
    orm: rt.orm,
    queues: rt.queues,
    config: rt.config,
    clock: rt.clock,
    logger: logger.child({ component: 'retention' }),
  };
  const retention = new RetentionJobs({ ...privacyDeps, service: new PrivacyService(privacyDeps) });
  retention.start();
  const contactImports = new ContactImportJobs({
    orm: rt.orm,
    queues: rt.queues,
    config: rt.config,
    clock: rt.clock,
    logger: logger.child({ component: 'contact-imports' }),
  });
  contactImports.start();
  await deps.inbox.startWorker();
  const inboxReconciler = new InboxReconciler({
    orm: rt.orm,
    inbox: deps.inbox,
    clock: rt.clock,
    logger: logger.child({ component: 'inbox' }),
  });
  inboxReconciler.start(INBOX_RECONCILE_INTERVAL_MS);
  const webhookLogger = logger.child({ component: 'webhooks' });
  // Redirects are not followed: a receiver that moved is told to register its new address.
  const deliverer = new WebhookDeliverer({
    orm: rt.orm,
    http: new SafeHttpClient({ allowHosts: rt.config.httpAllowHosts, maxRedirects: 0 }),
    secretKey: rt.config.secretKey,
    clock: rt.clock,
    logger: webhookLogger,
    events: rt.webhooks,
  });
  const webhookJobs = new WebhookJobs({ orm: rt.orm, queues: rt.queues, deliverer, clock: rt.clock, logger: webhookLogger });
  webhookJobs.start(WEBHOOK_RECONCILE_INTERVAL_MS);
  logger.info({ intervalMs: RECONCILE_INTERVAL_MS }, 'worker: engine workers and reconcilers started');
  return {
    async stop() {
      await Promise.all([
        reconciler.stop(),
        webhookJobs.stop(),
        broadcastReconciler.stop(),
        inboxReconciler.stop(),
        broadcasts.stop(),
        retention.stop(),
        contactImports.stop(),
        deps.engine.stop(),
        billingJobs?.stop(),
        usageFolder.stop(),
      ]);
    },
  };
}
