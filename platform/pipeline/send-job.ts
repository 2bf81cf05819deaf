import type { JobsOptions } from 'bullmq';
import { newId } from '../ids.ts';
import { z } from 'zod';

/** A send job carries the message id only: the message row is the state, read fresh by the worker. */
export interface SendJobData {
  messageId: string;
}

/** The name of a channel's send queue: one queue per channel, so that each number keeps its own pace and order. */
export function sendQueueName(channelId: string): string {
  return `send-${channelId}`;
}

/** The job name of a single message's send inside a send queue. */
export const SEND_JOB_NAME = 'send';

/**
 * A send job for several queued messages of the channel recorded together (the replies of a drain
 * batch): BatchSender claims and sends them, and hands to single send jobs what it cannot finish.
 * Its id is recorded on each message (`metadata.batchJob`, see BatchJobRef).
 */
export interface SendBatchJobData {
  messageIds: string[];
}

export const SEND_BATCH_JOB_NAME = 'send-batch';

/** The job that sends a message recorded in a batch: while it lives, the outbox reconciler leaves the message to it. */
export const BatchJobRef = z.object({ queue: z.string(), id: z.string() });
export type BatchJobRef = z.infer<typeof BatchJobRef>;

/** A new batch send job of the channel. */
export function newSendBatchJob(channelId: string): BatchJobRef {
  return { queue: sendQueueName(channelId), id: `sends-${newId()}` };
}

/** How a send is retried after a `retry` error: attempts in total and the first exponential backoff step. */
export interface SendRetryPolicy {
  attempts: number;
  backoffMs: number;
}

export const DEFAULT_SEND_RETRY: SendRetryPolicy = { attempts: 5, backoffMs: 2_000 };

/** Completed jobs are kept this long so that a re-dispatch of the same message id is a no-op in Redis too. */
const KEEP_COMPLETED_SECONDS = 24 * 3600;
/** Failed jobs are kept longer: they are what an operator inspects. */
const KEEP_FAILED_SECONDS = 7 * 24 * 3600;

/** Job options for one message: the message id is the job id, so a repeated dispatch adds nothing. */
export function sendJobOptions(messageId: string, retry: SendRetryPolicy): JobsOptions {
  return {
    jobId: messageId,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
    removeOnFail: { age: KEEP_FAILED_SECONDS },
  };
}

/*
 * A batch job's id is new each time, so nothing needs it once it has completed; the newest are
 * kept a while for the dashboard (and the engine bench's timings).
 */
const KEEP_COMPLETED_BATCHES = { age: 3600, count: 2_000 };

/** Job options for a batch send job: the retries of a single send (a failed attempt claims again). */
export function sendBatchJobOptions(jobId: string, retry: SendRetryPolicy): JobsOptions {
  return {
    jobId,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: KEEP_COMPLETED_BATCHES,
    removeOnFail: { age: KEEP_FAILED_SECONDS },
  };
}
