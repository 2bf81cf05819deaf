import { Queue } from 'bullmq';
import type { Redis } from '../../platform/redis.ts';
import { sendQueueName } from '../../platform/pipeline/send-job.ts';

/** How many of the newest completed send jobs per channel are read (completed jobs are kept for a day). */
const SAMPLE_JOBS_PER_CHANNEL = 2_000;

export interface SendJobTimings {
  /** Added to the send queue → a worker took it, ms. */
  waitMs: number[];
  /** Taken → completed (load, claim, connector call, record sent), ms. */
  processMs: number[];
}

/** BullMQ's own timestamps of the send jobs added since `sinceMs`, from the channels' send queues. */
export async function readSendJobTimings(redis: Redis, prefix: string, channelIds: string[], sinceMs: number): Promise<SendJobTimings> {
  const timings: SendJobTimings = { waitMs: [], processMs: [] };
  for (const channelId of channelIds) {
    const queue = new Queue(sendQueueName(channelId), { connection: redis, prefix });
    try {
      const jobs = await queue.getJobs(['completed'], 0, SAMPLE_JOBS_PER_CHANNEL - 1, /* asc= */ false);
      for (const job of jobs) {
        if (job.timestamp < sinceMs || job.processedOn === undefined || job.finishedOn === undefined) continue;
        timings.waitMs.push(job.processedOn - job.timestamp);
        timings.processMs.push(job.finishedOn - job.processedOn);
      }
    } finally {
      await queue.close();
    }
  }
  return timings;
}
