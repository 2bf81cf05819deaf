import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { runSql } from '../pipeline/run-sql.ts';

export interface DeliverySummary {
  id: string;
  endpointId: string;
  eventId: string;
  type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  failureReason: string | null;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  createdAt: Date;
}

export interface AttemptLine {
  id: string;
  attemptedAt: Date;
  manual: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

const SUMMARY_COLUMNS = `d.id, d.endpoint_id as "endpointId", d.event_id as "eventId", ev.type, d.status, d.attempts, d.last_status_code as "lastStatusCode",
  d.failure_reason as "failureReason", d.next_attempt_at as "nextAttemptAt", d.last_attempt_at as "lastAttemptAt", d.created_at as "createdAt"`;

/** The endpoint's latest deliveries, newest first (the endpoint must be the workspace's). */
export async function listDeliveries(
  em: EntityManager,
  workspaceId: string,
  endpointId: string,
  opts: { status?: string; limit: number },
): Promise<DeliverySummary[]> {
  const { rows } = await runSql<DeliverySummary>(
    em,
    `select ${SUMMARY_COLUMNS}
       from webhook_deliveries d join webhook_events ev on ev.id = d.event_id
      where d.workspace_id = :workspaceId and d.endpoint_id = :endpointId and (cast(:status as text) is null or d.status = cast(:status as text))
      order by d.created_at desc, d.id desc
      limit cast(:limitRows as integer)`,
    { workspaceId, endpointId, status: opts.status ?? null, limitRows: opts.limit },
  );
  return rows;
}

/** One delivery of the workspace with its event's payload and every attempt, oldest first. */
export async function getDelivery(
  em: EntityManager,
  workspaceId: string,
  id: string,
): Promise<DeliverySummary & { payload: unknown; attemptLog: AttemptLine[] }> {
  const { rows } = await runSql<DeliverySummary & { payload: unknown }>(
    em,
    `select ${SUMMARY_COLUMNS}, ev.payload from webhook_deliveries d join webhook_events ev on ev.id = d.event_id where d.workspace_id = :workspaceId and d.id = :id`,
    { workspaceId, id },
  );
  if (!rows[0]) throw new NotFoundError('webhook delivery', id);
  const attempts = await runSql<AttemptLine>(
    em,
    `select id, attempted_at as "attemptedAt", manual, status_code as "statusCode", duration_ms as "durationMs", error, response_excerpt as "responseExcerpt"
       from webhook_attempts where delivery_id = :id order by attempted_at, id`,
    { id },
  );
  return { ...rows[0], attemptLog: attempts.rows };
}

/** Manual attempts of one delivery at most: a redelivery button is not a load generator. */
export const MAX_ATTEMPTS_PER_DELIVERY = 100;
