/** The queue of delivery attempts; a job holds a delivery id, never the payload. */
export const WEBHOOK_QUEUE = 'webhook-deliveries';

export interface WebhookJobData {
  deliveryId: string;
  /** A redelivery asked for by a person: one attempt, whatever the delivery's status. */
  manual?: boolean;
}

/** Options of an automatic delivery's job: its id is the delivery's, so a second enqueue is a no-op. */
export function deliveryJobOptions(deliveryId: string) {
  return { jobId: deliveryId, removeOnComplete: true, removeOnFail: 1_000, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } };
}
