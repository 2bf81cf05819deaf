import type { JobsOptions } from 'bullmq';

/** A send job carries the message id only: the message row is the state, read fresh by the worker. */
export interface SendJobData {
  messageId: string;
}

/** The name of a channel's send queue: one queue per channel, so that each number keeps its own pace and order. */
export function sendQueueName(channelId: string): string {
  return `send-${channelId}`;
}

/** The job name inside a send queue (BullMQ needs one; there is only one kind of job). */
export const SEND_JOB_NAME = 'send';

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
