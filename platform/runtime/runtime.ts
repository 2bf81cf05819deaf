import { SessionTokens } from '../../api/auth/session-tokens.ts';
import { systemClock, type Clock } from '../../engine/clock.ts';
import type { Config } from '../config.ts';
import { openOrm, type Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { MeteredQueueFactory } from '../metrics/metered-queue-factory.ts';
import { ProcessMetrics } from '../metrics/process-metrics.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import { useNamedStatements } from '../pipeline/run-sql.ts';
import { createRedis, type Redis } from '../redis.ts';
import { StripeGateway } from '../../connectors/stripe/stripe-gateway.ts';
import { Billing } from '../billing/billing.ts';
import { WebhookEvents } from '../webhooks/webhook-events.ts';

/** How long in-flight jobs may run on after a shutdown starts before they are returned to their queue. */
export const JOB_DRAIN_MS = 6_000;

/**
 * What every role of a process shares, constructed once by the composition root: the config,
 * the logger, the clock, one ORM (pool), one Redis connection for commands, the queue factory and
 * the metrics registry. Nothing here is a module-level singleton.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  clock: Clock;
  orm: Orm;
  redis: Redis;
  queues: QueueFactory;
  metrics: ProcessMetrics;
  tokens: SessionTokens;
  /** Plans, quotas and Stripe (off without STRIPE_SECRET_KEY). */
  billing: Billing;
  /** Event webhooks: which workspaces listen to which events (cached), and the deliveries to enqueue after commit. */
  webhooks: WebhookEvents;
}

/** Opens the shared resources. The caller has already checked that Postgres and Redis answer. */
export async function openRuntime(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Runtime> {
  const orm = await openOrm(config.databaseUrl);
  useNamedStatements(config.databasePreparedStatements ?? true);
  const redis = createRedis(config.redisUrl);
  // Without a listener ioredis prints every reconnect failure as "Unhandled error event".
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  let queues: QueueFactory | undefined = undefined;
  const metrics = new ProcessMetrics(() => queues?.openQueues() ?? []);
  queues = new MeteredQueueFactory(redis, config.redisPrefix, metrics, logger.child({ component: 'queues' }));
  const stripe = config.billing?.stripe;
  const provider = stripe
    ? new StripeGateway({
        secretKey: stripe.secretKey,
        webhookSecret: stripe.webhookSecret,
        webhookToleranceS: stripe.webhookToleranceS,
        apiUrl: stripe.apiUrl,
      })
    : null;
  const billing = new Billing({ config: config.billing, provider, orm, queues, clock, publicUrl: config.publicUrl });
  const webhooks = WebhookEvents.attach(orm, {
    redis,
    prefix: config.redisPrefix,
    queues,
    logger: logger.child({ component: 'webhooks' }),
    clock,
  });
  await webhooks.start();
  return { config, logger, clock, orm, redis, queues, metrics, tokens: new SessionTokens(config.secretKey), billing, webhooks };
}

/** Closes the shared resources, last step of a shutdown: queues (workers drain first), then Redis, then the ORM. */
export function runtimeShutdownSteps(rt: Runtime): { name: string; run: () => Promise<void> }[] {
  return [
    { name: 'stop taking jobs and drain in-flight ones', run: () => rt.queues.close(JOB_DRAIN_MS) },
    {
      name: 'close Redis',
      run: async () => {
        await rt.webhooks.stop();
        await rt.redis.quit().catch(() => rt.redis.disconnect());
      },
    },
    { name: 'close the database pool', run: () => rt.orm.close() },
  ];
}
