import { batchDueAt } from '../../engine/broadcasts/broadcast-pace.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import {
  BATCH_JOB_NAME,
  BROADCAST_JOB_OPTIONS,
  BROADCASTS_QUEUE,
  batchJobId,
  broadcastSendQueueName,
  type BroadcastBatchJobData,
  type BroadcastJobData,
} from './broadcast-queues.ts';
import type { BroadcastRow } from './broadcast-store.ts';

/** A broadcast's batch jobs run after the channel's own sends (auto-replies, agents' answers) waiting at the same moment. */
const BATCH_JOB_PRIORITY = 100;

/**
 * Adds a job for each of `batches`, delayed until the batch is due at the broadcast's pace.
 * Message broadcasts go to the channel's broadcast send queue (where the channel's connector
 * runs); flow broadcasts to the broadcasts queue (where the engine runs). A job already there
 * under the same id is not added twice.
 */
export async function enqueueBatches(queues: QueueFactory, b: BroadcastRow, batches: readonly number[], now: Date): Promise<void> {
  if (batches.length === 0) return;
  const anchor = { batch: b.paceAnchorBatch, at: b.paceAnchorAt ?? now };
  const jobs = batches.map((batch) => {
    const data: BroadcastBatchJobData = { broadcastId: b.id, batch, generation: b.generation };
    const delay = Math.max(0, batchDueAt(batch, anchor, b.batchSize, b.effectivePacePerMinute).getTime() - now.getTime());
    return { data, opts: { ...BROADCAST_JOB_OPTIONS, jobId: batchJobId(data), delay, priority: BATCH_JOB_PRIORITY } };
  });
  if (b.content.kind === 'flow') {
    await queues
      .queue<BroadcastJobData>(BROADCASTS_QUEUE)
      .addBulk(jobs.map((j) => ({ name: 'flow-batch', data: { kind: 'flow-batch', ...j.data }, opts: j.opts })));
  } else {
    await queues
      .queue<BroadcastBatchJobData>(broadcastSendQueueName(b.channelId))
      .addBulk(jobs.map((j) => ({ name: BATCH_JOB_NAME, data: j.data, opts: j.opts })));
  }
}
