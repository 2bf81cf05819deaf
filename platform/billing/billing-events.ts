import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import type { BillingEvent } from '../../engine/ports/billing-provider.port.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';

export const BILLING_EVENTS_QUEUE = 'billing-events';
export const BILLING_EVENT_JOB = 'billing-event';

export interface BillingEventJobData {
  eventId: string;
}

/** Retries with backoff (1 s, 2 s, 4 s … about 8.5 minutes in all): Stripe or the database may be away for a while. */
export const BILLING_EVENT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: 1_000,
  removeOnFail: 5_000,
};

/** A recorded event, as the processor reads it. */
export interface StoredBillingEvent {
  id: string;
  type: string;
  payload: BillingEvent | null;
  processedAt: Date | null;
}

/**
 * Records a verified event once: the event id is the primary key, so a second delivery (Stripe
 * retries, or sends the same event twice) inserts nothing. Answers whether it was there already,
 * and whether it still waits to be processed (then its job is added again: the job id is the
 * event id, so a job still queued is not doubled).
 */
const RecordedEventRow = z.object({ inserted: z.boolean(), pending: z.boolean() });

export async function recordBillingEvent(em: EntityManager, event: BillingEvent): Promise<{ duplicate: boolean; pending: boolean }> {
  const { rows } = await runSql(
    em,
    `with ins as (
       insert into billing_events (id, type, customer_id, created, payload) values (:id, :type, :customerId, :created, cast(:payload as jsonb))
       on conflict (id) do nothing returning true as inserted
     )
     select true as inserted, true as pending from ins
     union all
     select false, processed_at is null from billing_events where id = :id and not exists (select 1 from ins)`,
    {
      id: event.id,
      type: event.type === 'unhandled' ? event.providerType : event.type,
      customerId: event.customerId,
      created: event.created,
      payload: JSON.stringify(event),
    },
    { row: RecordedEventRow },
  );
  const row = rows[0];
  return { duplicate: !row?.inserted, pending: row?.pending ?? false };
}

/** Adds the event's processing job (idempotent: one job per event id). */
export async function enqueueBillingEvent(queues: QueueFactory, eventId: string): Promise<void> {
  await queues
    .queue<BillingEventJobData>(BILLING_EVENTS_QUEUE)
    .add(BILLING_EVENT_JOB, { eventId }, { ...BILLING_EVENT_JOB_OPTIONS, jobId: `billing-event-${eventId}` });
}

/** Parses the stored payload back into the event (dates were serialised as ISO strings). */
export function parseStoredEvent(payload: unknown): BillingEvent {
  const raw = payload as Record<string, unknown>;
  const event = { ...raw, created: new Date(String(raw.created)) } as Record<string, unknown>;
  if ('trialEnd' in raw) event.trialEnd = raw.trialEnd === null ? null : new Date(String(raw.trialEnd));
  if ('invoice' in raw && raw.invoice) {
    const invoice = raw.invoice as Record<string, unknown>;
    event.invoice = { ...invoice, createdAt: new Date(String(invoice.createdAt)) };
  }
  return event as unknown as BillingEvent;
}
