import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { TooManyWebhooksError } from '../../engine/errors/too-many-webhooks.error.ts';
import { WebhookEventTypeSchema, type WebhookEventType } from '../../engine/webhooks/webhook-event-type.ts';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { newSigningSecret, sealSigningSecret } from './signing-secret.ts';

/** After a rotation the previous secret signs too, this long, so that receivers can switch over. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;
/** Endpoints per workspace at most. */
export const MAX_ENDPOINTS_PER_WORKSPACE = 20;

const ENDPOINT_COLUMNS = `e.id, e.workspace_id as "workspaceId", e.url, e.description, e.event_types as "eventTypes", e.enabled,
  e.disabled_reason as "disabledReason", e.disabled_at as "disabledAt", e.failing_since as "failingSince",
  e.previous_secret_expires_at as "previousSecretExpiresAt", e.created_at as "createdAt", e.updated_at as "updatedAt",
  (select json_build_object('succeeded', count(*) filter (where d.status = 'succeeded'), 'failed', count(*) filter (where d.status = 'failed'), 'pending', count(*) filter (where d.status = 'pending'))
     from webhook_deliveries d where d.endpoint_id = e.id and d.created_at > cast(:since as timestamptz)) as recent`;
const WebhookEndpointRow = z.object({
  id: z.string(),
  workspaceId: z.string(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(WebhookEventTypeSchema),
  enabled: z.boolean(),
  disabledReason: z.enum(['failing', 'turned_off']).nullable(),
  disabledAt: z.date().nullable(),
  failingSince: z.date().nullable(),
  previousSecretExpiresAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  /** Deliveries of the last 24 hours, by status. */
  recent: z.object({ succeeded: z.number(), failed: z.number(), pending: z.number() }),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpointRow>;

/** The workspace's webhook endpoints: what they listen to and how they are doing. The signing secret never leaves here but on creation and rotation. */
export class WebhookEndpoints {
  constructor(private readonly secretKey: Buffer) {}

  async list(em: EntityManager, workspaceId: string, now: Date): Promise<WebhookEndpoint[]> {
    const { rows } = await runSql(
      em,
      `select ${ENDPOINT_COLUMNS} from webhook_endpoints e where e.workspace_id = :workspaceId order by e.created_at`,
      { workspaceId, since: new Date(now.getTime() - 86_400_000) },
      { row: WebhookEndpointRow },
    );
    return rows;
  }

  async get(em: EntityManager, workspaceId: string, id: string, now: Date): Promise<WebhookEndpoint> {
    const { rows } = await runSql(
      em,
      `select ${ENDPOINT_COLUMNS} from webhook_endpoints e where e.workspace_id = :workspaceId and e.id = :id`,
      { workspaceId, id, since: new Date(now.getTime() - 86_400_000) },
      { row: WebhookEndpointRow },
    );
    if (!rows[0]) throw new NotFoundError('webhook', id);
    return rows[0];
  }

  /** Creates an endpoint; answers it with its signing secret, which is shown this once. */
  async create(
    em: EntityManager,
    workspaceId: string,
    input: { url: string; description: string; eventTypes: WebhookEventType[]; createdBy: string | null },
    now: Date,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const id = newId();
    const secret = newSigningSecret();
    const { rowCount } = await runSql(
      em,
      `insert into webhook_endpoints (id, workspace_id, url, description, event_types, sealed_secret, created_by, created_at, updated_at)
       select :id, :workspaceId, :url, :description, cast(:eventTypes as text[]), :sealed, cast(:createdBy as uuid), :now, :now
        where (select count(*) from webhook_endpoints where workspace_id = :workspaceId) < :max`,
      {
        id,
        workspaceId,
        url: input.url,
        description: input.description,
        eventTypes: input.eventTypes,
        sealed: sealSigningSecret(this.secretKey, workspaceId, id, secret),
        createdBy: input.createdBy,
        now,
        max: MAX_ENDPOINTS_PER_WORKSPACE,
      },
    );
    if (rowCount === 0) throw new TooManyWebhooksError(MAX_ENDPOINTS_PER_WORKSPACE);
    return { endpoint: await this.get(em, workspaceId, id, now), secret };
  }

  /** Changes an endpoint. Turning it on again clears its failure streak; turning it off stops its pending deliveries. */
  async update(
    em: EntityManager,
    workspaceId: string,
    id: string,
    patch: { url?: string; description?: string; eventTypes?: WebhookEventType[]; enabled?: boolean },
    now: Date,
  ): Promise<WebhookEndpoint> {
    const { rowCount } = await runSql(
      em,
      `update webhook_endpoints set
              url = coalesce(cast(:url as text), url),
              description = coalesce(cast(:description as text), description),
              event_types = coalesce(cast(:eventTypes as text[]), event_types),
              enabled = coalesce(cast(:enabled as boolean), enabled),
              disabled_reason = case when cast(:enabled as boolean) then null when cast(:enabled as boolean) = false and enabled then 'turned_off' else disabled_reason end,
              disabled_at = case when cast(:enabled as boolean) then null when cast(:enabled as boolean) = false and enabled then cast(:now as timestamptz) else disabled_at end,
              failing_since = case when cast(:enabled as boolean) and not enabled then null else failing_since end,
              updated_at = :now
        where id = :id and workspace_id = :workspaceId`,
      {
        id,
        workspaceId,
        url: patch.url ?? null,
        description: patch.description ?? null,
        eventTypes: patch.eventTypes ?? null,
        enabled: patch.enabled ?? null,
        now,
      },
    );
    if (rowCount === 0) throw new NotFoundError('webhook', id);
    if (patch.enabled === false) await failPendingDeliveries(em, id, 'endpoint_turned_off: the endpoint was turned off', now);
    return this.get(em, workspaceId, id, now);
  }

  async delete(em: EntityManager, workspaceId: string, id: string): Promise<void> {
    const { rowCount } = await runSql(em, `delete from webhook_endpoints where id = :id and workspace_id = :workspaceId`, {
      id,
      workspaceId,
    });
    if (rowCount === 0) throw new NotFoundError('webhook', id);
  }

  /** A new signing secret; the previous one keeps signing for PREVIOUS_SECRET_GRACE_MS. Answers the new secret, shown this once. */
  async rotateSecret(em: EntityManager, workspaceId: string, id: string, now: Date): Promise<{ secret: string; previousValidUntil: Date }> {
    const secret = newSigningSecret();
    const previousValidUntil = new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS);
    const { rowCount } = await runSql(
      em,
      `update webhook_endpoints set previous_sealed_secret = sealed_secret, previous_secret_expires_at = :until, sealed_secret = :sealed, updated_at = :now
        where id = :id and workspace_id = :workspaceId`,
      { id, workspaceId, sealed: sealSigningSecret(this.secretKey, workspaceId, id, secret), until: previousValidUntil, now },
    );
    if (rowCount === 0) throw new NotFoundError('webhook', id);
    return { secret, previousValidUntil };
  }
}

/** Ends the pending deliveries of an endpoint that stopped (turned off or disabled): they can still be redelivered by hand. */
export async function failPendingDeliveries(em: EntityManager, endpointId: string, reason: string, now: Date): Promise<void> {
  await runSql(
    em,
    `update webhook_deliveries set status = 'failed', failure_reason = :reason, next_attempt_at = null, finished_at = :now where endpoint_id = :endpointId and status = 'pending'`,
    { endpointId, reason, now },
  );
}
