import { BroadcastJobs } from '../broadcasts/broadcast-jobs.worker.ts';
import { BroadcastReconciler } from '../broadcasts/broadcast-reconciler.ts';
import type { Engine } from '../engine/engine.ts';
import { OutboxReconciler } from '../pipeline/outbox-reconciler.ts';
import type { Outbox } from '../pipeline/outbox.ts';
import type { Runtime } from './runtime.ts';
import { PrivacyService, RetentionJobs } from '../../connectors/retention/retention-jobs.ts';

/** How often the outbox reconciler looks for queued messages whose send job was lost. */
export const RECONCILE_INTERVAL_MS = 15_000;
/** How often the engine reconciler looks for unhandled messages and overdue waits whose jobs were lost. */
export const ENGINE_RECONCILE_INTERVAL_MS = 5_000;
/** How often the broadcast reconciler looks for broadcasts whose jobs were lost. */
export const BROADCAST_RECONCILE_INTERVAL_MS = 30_000;

export interface WorkerRoleHandle {
  stop(): Promise<void>;
}

/**
 * The worker role: the engine's background work: flow runs (inbox drains, timers, the engine
 * reconciler), the outbox reconciler, and broadcasts (starts, recurring occurrences, flow
 * batches, finish checks, their reconciler); retention sweeps, contact exports and
 * housekeeping (connectors/retention); billing events join it as their issue lands.
 * Message batches of broadcasts run where their channel's connector runs.
 */
export function startWorkerRole(rt: Runtime, deps: { outbox: Outbox; engine: Engine }): WorkerRoleHandle {
  const logger = rt.logger.child({ role: 'worker' });
  const reconciler = new OutboxReconciler({ orm: rt.orm, queues: rt.queues, outbox: deps.outbox, logger, clock: rt.clock });
  reconciler.start(RECONCILE_INTERVAL_MS);
  deps.engine.startWorkers({ reconcileIntervalMs: ENGINE_RECONCILE_INTERVAL_MS });
  const broadcastDeps = { orm: rt.orm, queues: rt.queues, clock: rt.clock, logger: logger.child({ component: 'broadcasts' }) };
  const broadcasts = new BroadcastJobs({ ...broadcastDeps, triggered: deps.engine.triggered });
  broadcasts.start();
  const broadcastReconciler = new BroadcastReconciler(broadcastDeps);
  broadcastReconciler.start(BROADCAST_RECONCILE_INTERVAL_MS);
  const privacyDeps = { orm: rt.orm, queues: rt.queues, config: rt.config, clock: rt.clock, logger: logger.child({ component: 'retention' }) };
  const retention = new RetentionJobs({ ...privacyDeps, service: new PrivacyService(privacyDeps) });
  retention.start();
  logger.info({ intervalMs: RECONCILE_INTERVAL_MS }, 'worker: engine workers and reconcilers started');
  return {
    async stop() {
      await Promise.all([reconciler.stop(), broadcastReconciler.stop(), broadcasts.stop(), retention.stop(), deps.engine.stop()]);
    },
  };
}
