import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { SafeHttpClient } from '../../connectors/http/safe-http-client.ts';
import { TooManyRedirectsError } from '../../connectors/http/http-request-errors.ts';
import type { Clock } from '../../engine/clock.ts';
import { AppError } from '../../engine/errors/app-error.ts';
import { DEFAULT_RETRY_POLICY, DISABLE_AFTER_FAILING_MS, nextRetryAt, type RetryPolicy } from '../../engine/webhooks/retry-schedule.ts';
import { audit } from '../audit/audit-log.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { DeliveryStatusSchema } from './webhook-deliveries.sql.ts';
import { failPendingDeliveries } from './webhook-endpoints.ts';
import type { WebhookEvents } from './webhook-events.ts';
import { openSigningSecret, signatureHeader } from './signing-secret.ts';

/** Characters of a receiver's answer kept in the attempt log (the log stays small whatever receivers answer). */
export const RESPONSE_EXCERPT_CHARS = 1_000;
const ERROR_CHARS = 500;
/** A receiver has this long to answer (the safe client's cap). */
export const DELIVERY_TIMEOUT_MS = 10_000;
export const WEBHOOK_USER_AGENT = 'OneMessage-Webhooks/1';

const LOAD_SQL = `
select d.id, d.workspace_id as "workspaceId", d.status, d.attempts, d.event_id as "eventId", ev.payload, ev.created_at as "eventCreatedAt",
       ep.id as "endpointId", ep.url, ep.enabled, ep.sealed_secret as "sealedSecret", ep.previous_sealed_secret as "previousSealedSecret",
       ep.previous_secret_expires_at as "previousSecretExpiresAt"
  from webhook_deliveries d
  join webhook_events ev on ev.id = d.event_id
  join webhook_endpoints ep on ep.id = d.endpoint_id
 where d.id = :id`;
const DeliveryRowSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  status: DeliveryStatusSchema,
  attempts: z.number(),
  eventId: z.string(),
  payload: z.unknown(),
  eventCreatedAt: z.date(),
  endpointId: z.string(),
  url: z.string(),
  enabled: z.boolean(),
  sealedSecret: z.instanceof(Buffer),
  previousSealedSecret: z.instanceof(Buffer).nullable(),
  previousSecretExpiresAt: z.date().nullable(),
});
type DeliveryRow = z.infer<typeof DeliveryRowSchema>;

const DisableRow = z.object({ disable: z.boolean() });

/** What one attempt came to. `retry`: try again at `retryAt`. `skipped`: nothing was sent (done already, endpoint off, gone). */
export type AttemptOutcome = { kind: 'succeeded' } | { kind: 'failed' } | { kind: 'retry'; retryAt: Date } | { kind: 'skipped' };

interface Sent {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  excerpt: string | null;
}

/**
 * Sends one delivery to its endpoint, Standard Webhooks style: `webhook-id` (the event's id, the
 * same on every attempt and redelivery, so receivers deduplicate by it), `webhook-timestamp`
 * (seconds) and `webhook-signature` (`v1,` HMAC-SHA256 of `id.timestamp.body`), through the
 * SSRF-safe client (private addresses refused unless HTTP_ALLOW_HOSTS names them; no redirects
 * followed). A 2xx answer is a success; anything else, a timeout or a refused address, a failure.
 *
 * Each attempt is logged with its status, duration and the start of the answer. After a failure
 * the delivery is retried with exponential backoff within 24 h of its event; an endpoint whose
 * attempts have all failed for a day is disabled, its pending deliveries end, and the owners are
 * told (an audit entry `webhook.endpoint_disabled`, shown as a banner in the editor).
 */
export class WebhookDeliverer {
  private readonly policy: RetryPolicy;

  constructor(
    private readonly deps: {
      orm: Orm;
      http: SafeHttpClient;
      secretKey: Buffer;
      clock: Clock;
      logger: Logger;
      events: WebhookEvents | null;
      policy?: RetryPolicy;
      random?: () => number;
    },
  ) {
    this.policy = deps.policy ?? DEFAULT_RETRY_POLICY;
  }

  /** One attempt of the delivery; `manual`: a redelivery asked for by a person (one attempt, whatever its status). */
  async attempt(deliveryId: string, opts: { manual?: boolean } = {}): Promise<AttemptOutcome> {
    const manual = opts.manual ?? false;
    const em = this.deps.orm.em.fork();
    const row = (await runSql(em, LOAD_SQL, { id: deliveryId }, { row: DeliveryRowSchema })).rows[0];
    if (!row) return { kind: 'skipped' };
    if (!manual && row.status !== 'pending') return { kind: 'skipped' };
    if (!manual && !row.enabled) {
      await failPendingDeliveries(em, row.endpointId, 'endpoint_turned_off: the endpoint was turned off', this.deps.clock.now());
      return { kind: 'skipped' };
    }
    const sent = await this.send(row);
    return this.record(row, sent, manual);
  }

  private async send(row: DeliveryRow): Promise<Sent> {
    const now = this.deps.clock.now();
    const secrets = [openSigningSecret(this.deps.secretKey, row.workspaceId, row.endpointId, row.sealedSecret)];
    if (row.previousSealedSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
      secrets.push(openSigningSecret(this.deps.secretKey, row.workspaceId, row.endpointId, row.previousSealedSecret));
    }
    const body = JSON.stringify(row.payload);
    const headers = {
      'webhook-id': row.eventId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signatureHeader(secrets, row.eventId, now, body),
      'user-agent': WEBHOOK_USER_AGENT,
    };
    const started = performance.now();
    try {
      const res = await this.deps.http.request({ method: 'POST', url: row.url, headers, jsonText: body, timeoutMs: DELIVERY_TIMEOUT_MS });
      const text = typeof res.body === 'string' ? res.body : res.body === undefined || res.body === null ? '' : JSON.stringify(res.body);
      return {
        ok: res.status >= 200 && res.status < 300,
        statusCode: res.status,
        durationMs: Math.round(performance.now() - started),
        error: res.status >= 200 && res.status < 300 ? null : `the endpoint answered ${res.status}`,
        excerpt: text.slice(0, RESPONSE_EXCERPT_CHARS) || null,
      };
    } catch (err) {
      const message =
        err instanceof TooManyRedirectsError
          ? 'the endpoint answered with a redirect: webhooks do not follow redirects, register the final address'
          : err instanceof AppError
            ? err.message
            : `the request failed: ${String(err)}`;
      return {
        ok: false,
        statusCode: null,
        durationMs: Math.round(performance.now() - started),
        error: message.slice(0, ERROR_CHARS),
        excerpt: null,
      };
    }
  }

  private async record(row: DeliveryRow, sent: Sent, manual: boolean): Promise<AttemptOutcome> {
    const now = this.deps.clock.now();
    const attempts = row.attempts + 1;
    let outcome: AttemptOutcome;
    if (sent.ok) outcome = { kind: 'succeeded' };
    else if (manual) outcome = { kind: 'failed' };
    else {
      const retryAt = nextRetryAt(this.policy, attempts, row.eventCreatedAt, now, this.deps.random);
      outcome = retryAt ? { kind: 'retry', retryAt } : { kind: 'failed' };
    }
    let disabled = false;
    await this.deps.orm.em.fork().transactional(async (em) => {
      await runSql(
        em,
        `insert into webhook_attempts (id, delivery_id, workspace_id, attempted_at, manual, status_code, duration_ms, error, response_excerpt)
         values (:id, :deliveryId, :workspaceId, :now, :manual, cast(:statusCode as integer), :durationMs, cast(:error as text), cast(:excerpt as text))`,
        {
          id: newId(),
          deliveryId: row.id,
          workspaceId: row.workspaceId,
          now,
          manual,
          statusCode: sent.statusCode,
          durationMs: sent.durationMs,
          error: sent.error,
          excerpt: sent.excerpt,
        },
      );
      // A manual attempt that failed leaves the delivery's course as it was (pending ones keep their schedule).
      const status = outcome.kind === 'succeeded' ? 'succeeded' : outcome.kind === 'failed' && !manual ? 'failed' : null;
      await runSql(
        em,
        `update webhook_deliveries set attempts = attempts + 1, last_attempt_at = :now, last_status_code = cast(:statusCode as integer),
                status = coalesce(cast(:status as text), status),
                failure_reason = case when cast(:status as text) = 'succeeded' then null when cast(:error as text) is not null then cast(:error as text) else failure_reason end,
                next_attempt_at = case when cast(:status as text) is not null then null when cast(:retryAt as timestamptz) is not null then cast(:retryAt as timestamptz) else next_attempt_at end,
                finished_at = case when cast(:status as text) is not null then cast(:now as timestamptz) else finished_at end
          where id = :id`,
        {
          id: row.id,
          now,
          statusCode: sent.statusCode,
          status,
          error: sent.error,
          retryAt: outcome.kind === 'retry' ? outcome.retryAt : null,
        },
      );
      disabled = await this.trackEndpointHealth(em, row, sent.ok, now);
    });
    if (disabled) {
      this.deps.logger.warn(
        { endpointId: row.endpointId, workspaceId: row.workspaceId },
        'webhook endpoint disabled after failing for a day',
      );
      await this.deps.events?.changed(row.workspaceId);
      return outcome.kind === 'retry' ? { kind: 'failed' } : outcome;
    }
    return outcome;
  }

  /**
   * A success ends the endpoint's failure streak; a failure starts one (or continues it) and,
   * when it has lasted DISABLE_AFTER_FAILING_MS, disables the endpoint. Under the endpoint's row
   * lock, so two attempts at once disable it once.
   */
  private async trackEndpointHealth(em: EntityManager, row: DeliveryRow, ok: boolean, now: Date): Promise<boolean> {
    if (ok) {
      await runSql(em, `update webhook_endpoints set failing_since = null where id = :id and failing_since is not null`, {
        id: row.endpointId,
      });
      return false;
    }
    const { rows } = await runSql(
      em,
      `update webhook_endpoints set failing_since = coalesce(failing_since, :now)
        where id = :id
       returning enabled and coalesce(failing_since, :now) <= cast(:disableBefore as timestamptz) as disable`,
      { id: row.endpointId, now, disableBefore: new Date(now.getTime() - DISABLE_AFTER_FAILING_MS) },
      { row: DisableRow },
    );
    if (!rows[0]?.disable) return false;
    await runSql(
      em,
      `update webhook_endpoints set enabled = false, disabled_reason = 'failing', disabled_at = :now, updated_at = :now where id = :id`,
      { id: row.endpointId, now },
    );
    await failPendingDeliveries(em, row.endpointId, 'endpoint_disabled: the endpoint failed for a day and was disabled', now);
    audit(em, {
      workspaceId: row.workspaceId,
      actor: { kind: 'system', id: null },
      action: 'webhook.endpoint_disabled',
      target: { kind: 'webhook_endpoint', id: row.endpointId },
      details: { failingForHours: DISABLE_AFTER_FAILING_MS / 3_600_000 },
    });
    return true;
  }
}
