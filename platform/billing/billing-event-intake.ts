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

/** A time as JSON.stringify wrote it (ISO 8601), back to a Date. */
const StoredDate = z.iso.datetime({ offset: true }).transform((text) => new Date(text));
const StoredCard = z.object({ brand: z.string(), last4: z.string(), expMonth: z.number(), expYear: z.number() });
const StoredInvoice = z.object({
  id: z.string(),
  customerId: z.string(),
  subscriptionId: z.string().nullable(),
  number: z.string().nullable(),
  status: z.string(),
  amountDue: z.number(),
  amountPaid: z.number(),
  currency: z.string(),
  hostedInvoiceUrl: z.string().nullable(),
  createdAt: StoredDate,
});
const base = { id: z.string(), created: StoredDate, customerId: z.string().nullable() };

/**
 * A recorded event's payload (`billing_events.payload`, the event as recordBillingEvent stored it)
 * back into the event, dates included: the processor's row schema parses it, so a payload that
 * is not an event is an InvariantError, not an event with Invalid Dates.
 */
export const StoredBillingEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('checkout.session.completed'),
    subscriptionId: z.string().nullable(),
    workspaceId: z.string().nullable(),
  }),
  z.object({
    ...base,
    type: z.enum(['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted']),
    subscriptionId: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('customer.subscription.trial_will_end'),
    subscriptionId: z.string(),
    trialEnd: StoredDate.nullable(),
  }),
  z.object({
    ...base,
    type: z.enum(['invoice.paid', 'invoice.payment_failed', 'invoice.payment_action_required']),
    invoice: StoredInvoice,
  }),
  z.object({ ...base, type: z.literal('payment_method.attached'), card: StoredCard.nullable() }),
  z.object({ ...base, type: z.literal('customer.updated') }),
  z.object({ ...base, type: z.literal('unhandled'), providerType: z.string() }),
]) satisfies z.ZodType<BillingEvent>;
