import type { JobsOptions } from 'bullmq';

/**
 * The broadcasts' BullMQ queues. Jobs carry ids only; the broadcast and recipient rows are the state.
 *
 * `broadcasts` (worker role): starting a broadcast (snapshot of its audience), the occurrences of
 * a recurring one (a job scheduler per broadcast), and the check that a running one is complete.
 *
 * `broadcast-send-<channelId>` (where the channel's sends run, next to its send queue): one job per
 * batch of recipients, which records their messages in the outbox and sends them.
 */
export const BROADCASTS_QUEUE = 'broadcasts';

export type BroadcastJobData =
  | { kind: 'start'; broadcastId: string }
  | { kind: 'occurrence'; broadcastId: string }
  | { kind: 'finish'; broadcastId: string }
  /** A batch of a broadcast that starts a flow for each recipient: runs start where the engine runs. */
  | ({ kind: 'flow-batch' } & BroadcastBatchJobData);

export interface BroadcastBatchJobData {
  broadcastId: string;
  batch: number;
  /** The broadcast's generation when the job was added: a resume starts a new one. */
  generation: number;
}

export const BATCH_JOB_NAME = 'batch';

export function broadcastSendQueueName(channelId: string): string {
  return `broadcast-send-${channelId}`;
}

/** The id of a recurring broadcast's job scheduler: stable, so editing it updates the same scheduler. */
export function recurringSchedulerId(broadcastId: string): string {
  return `broadcast-${broadcastId}`;
}

/** One start job per broadcast and scheduling: a repeated schedule call adds nothing. */
export function startJobId(broadcastId: string, generation: number): string {
  return `start-${broadcastId}-${generation}`;
}

/** A batch job's id; `notBefore` (epoch ms) distinguishes a batch put off by quiet hours or the pace. */
export function batchJobId(data: BroadcastBatchJobData, notBefore?: number): string {
  return `batch-${data.broadcastId}-${data.generation}-${data.batch}${notBefore === undefined ? '' : `-${notBefore}`}`;
}

/*
 * Ended jobs are removed: every broadcast job is idempotent (it looks at the rows), so a job id
 * freed by removal may be added again by the reconciler without harm.
 */
export const BROADCAST_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
};
