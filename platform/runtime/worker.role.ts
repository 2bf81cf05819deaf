import { OutboxReconciler } from '../pipeline/outbox-reconciler.ts';
import type { Outbox } from '../pipeline/outbox.ts';
import type { Runtime } from './runtime.ts';

/** How often the outbox reconciler looks for queued messages whose send job was lost. */
export const RECONCILE_INTERVAL_MS = 15_000;

export interface WorkerRoleHandle {
  stop(): Promise<void>;
}

/**
 * The worker role: the engine's background work. For now the outbox reconciler; flow steps,
 * broadcasts, sweeps and billing events join it as their issues land.
 */
export function startWorkerRole(rt: Runtime, deps: { outbox: Outbox }): WorkerRoleHandle {
  const logger = rt.logger.child({ role: 'worker' });
  const reconciler = new OutboxReconciler({ orm: rt.orm, queues: rt.queues, outbox: deps.outbox, logger, clock: rt.clock });
  reconciler.start(RECONCILE_INTERVAL_MS);
  logger.info({ intervalMs: RECONCILE_INTERVAL_MS }, 'worker: outbox reconciler started');
  return { stop: () => reconciler.stop() };
}
