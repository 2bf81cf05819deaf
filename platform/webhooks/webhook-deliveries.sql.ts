import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** webhook_deliveries.status (its CHECK constraint). */
export const DeliveryStatusSchema = z.enum(['pending', 'succeeded', 'failed']);

const SUMMARY_COLUMNS = `d.id, d.endpoint_id as "endpointId", d.event_id as "eventId", ev.type, d.status, d.attempts, d.last_status_code as "lastStatusCode",
  d.failure_reason as "failureReason", d.next_attempt_at as "nextAttemptAt", d.last_attempt_at as "lastAttemptAt", d.created_at as "createdAt"`;
const DeliverySummaryRow = z.object({
  id: z.string(),
  endpointId: z.string(),
  eventId: z.string(),
  type: z.string(),
  status: DeliveryStatusSchema,
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  failureReason: z.string().nullable(),
  nextAttemptAt: z.date().nullable(),
  lastAttemptAt: z.date().nullable(),
  createdAt: z.date(),
});
export type DeliverySummary = z.infer<typeof DeliverySummaryRow>;
const DeliveryWithPayloadRow = DeliverySummaryRow.extend({ payload: z.unknown() });

const AttemptLineRow = z.object({
  id: z.string(),
  attemptedAt: z.date(),
  manual: z.boolean(),
  statusCode: z.number().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
});
export type AttemptLine = z.infer<typeof AttemptLineRow>;

/** The endpoint's latest deliveries, newest first (the endpoint must be the workspace's). */
export async function listDeliveries(
  em: EntityManager,
  workspaceId: string,
  endpointId: string,
  opts: { status?: string; limit: number },
): Promise<DeliverySummary[]> {
  const { rows } = await runSql(
    em,
    `select ${SUMMARY_COLUMNS}
       from webhook_deliveries d join webhook_events ev on ev.id = d.event_id
      where d.workspace_id = :workspaceId and d.endpoint_id = :endpointId and (cast(:status as text) is null or d.status = cast(:status as text))
      order by d.created_at desc, d.id desc
      limit cast(:limitRows as integer)`,
    { workspaceId, endpointId, status: opts.status ?? null, limitRows: opts.limit },
    { row: DeliverySummaryRow },
  );
  return rows;
}

/** One delivery of the workspace with its event's payload and every attempt, oldest first. */
export async function getDelivery(
  em: EntityManager,
  workspaceId: string,
  id: string,
): Promise<DeliverySummary & { payload: unknown; attemptLog: AttemptLine[] }> {
  const { rows } = await runSql(
    em,
    `select ${SUMMARY_COLUMNS}, ev.payload from webhook_deliveries d join webhook_events ev on ev.id = d.event_id where d.workspace_id = :workspaceId and d.id = :id`,
    { workspaceId, id },
    { row: DeliveryWithPayloadRow },
  );
  if (!rows[0]) throw new NotFoundError('webhook delivery', id);
  const attempts = await runSql(
    em,
    `select id, attempted_at as "attemptedAt", manual, status_code as "statusCode", duration_ms as "durationMs", error, response_excerpt as "responseExcerpt"
       from webhook_attempts where delivery_id = :id order by attempted_at, id`,
    { id },
    { row: AttemptLineRow },
  );
  return { ...rows[0], attemptLog: attempts.rows };
}

/** Manual attempts of one delivery at most: a redelivery button is not a load generator. */
export const MAX_ATTEMPTS_PER_DELIVERY = 100;
