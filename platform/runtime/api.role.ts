import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { ApiDeps } from '../../api/api-deps.ts';
import { WhatsappSessionControl } from '../../connectors/whatsapp/whatsapp-session-control.ts';
import { createApp } from '../../api/app.ts';
import { healthRouter } from '../../api/ops/health.router.ts';
import { queueDashboardRouter } from '../../api/ops/queue-dashboard.router.ts';
import { metricsRouter } from '../../api/ops/metrics.router.ts';
import { LoginRateLimit } from '../../api/auth/login-rate-limit.ts';
import { postgresProbe, readinessRouter, redisProbe } from '../../api/ops/readiness.router.ts';
import { HttpMetricsObserver } from '../metrics/http-metrics.observer.ts';
import { UsageRecorder } from '../usage/usage-recorder.ts';
import { AuthCache } from '../../api/auth/auth-cache.ts';
import { ChannelFacts } from '../../api/channel-facts.ts';
import type { Runtime } from './runtime.ts';

/** How long requests in flight at shutdown may take to finish before their connections are cut. */
export const HTTP_DRAIN_MS = 3_000;
const IDLE_SWEEP_MS = 100;

/** The pipelines the HTTP API hands work to; built by the composition root. */
export type ApiPipelines = Pick<ApiDeps, 'inbound' | 'outbound' | 'channels' | 'flows' | 'flowWebhooks' | 'inbox'> & {
  mailer?: ApiDeps['mailer'];
};

/** The express app of the api role: the API plus health, readiness, metrics and the queue dashboard. */
export function buildHttpApp(rt: Runtime, pipelines: ApiPipelines, usage: UsageRecorder): Express {
  // Wrong operator credentials count against the same per-address budget as failed logins.
  const operatorAttempts = new LoginRateLimit(rt.redis, rt.config.redisPrefix, rt.clock);
  const deps: ApiDeps = {
    config: rt.config,
    logger: rt.logger.child({ component: 'http' }),
    orm: rt.orm,
    redis: rt.redis,
    clock: rt.clock,
    tokens: rt.tokens,
    authCache: new AuthCache(rt.clock),
    channelFacts: new ChannelFacts(),
    queues: rt.queues,
    billing: rt.billing,
    webhooks: rt.webhooks,
    ...pipelines,
    mailer: pipelines.mailer ?? null,
    channelSessions: new WhatsappSessionControl({ orm: rt.orm, redis: rt.redis, prefix: rt.config.redisPrefix }),
    observers: [new HttpMetricsObserver(rt.metrics), usage],
    extraRouters: [
      healthRouter(),
      readinessRouter([postgresProbe(rt.orm), redisProbe(rt.redis)]),
      metricsRouter(rt.metrics, rt.config.operator, operatorAttempts),
      queueDashboardRouter({
        operator: rt.config.operator,
        https: rt.config.publicUrl.startsWith('https:'),
        openQueues: () => rt.queues.openQueues(),
        attempts: operatorAttempts,
      }),
    ],
  };
  return createApp(deps);
}

export interface ApiRoleHandle {
  readonly server: Server;
  /** The port actually bound (differs from the config when it asked for 0). */
  readonly port: number;
  /** Stops accepting connections and waits for requests in flight (up to HTTP_DRAIN_MS). */
  stopHttp(): Promise<void>;
  /** Writes the usage events still buffered. */
  flushUsage(): Promise<void>;
}

/** The api role: serves HTTP on config.host:config.port. */
export async function startApiRole(rt: Runtime, pipelines: ApiPipelines): Promise<ApiRoleHandle> {
  const usage = new UsageRecorder({
    orm: rt.orm,
    logger: rt.logger.child({ component: 'usage' }),
    onDropped: (rows) => rt.metrics.usageEventsDropped.inc(rows),
  });
  usage.start();
  const app = buildHttpApp(rt, pipelines, usage);
  const server = app.listen(rt.config.port, rt.config.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  rt.logger.info(
    { host: rt.config.host, port },
    `api: listening on http://${rt.config.host === '0.0.0.0' ? 'localhost' : rt.config.host}:${port}`,
  );
  return {
    server,
    port,
    stopHttp: () => closeServer(server),
    flushUsage: () => usage.stop(),
  };
}

/**
 * Closes the server: no new connections; idle keep-alive connections are closed at once and
 * again every IDLE_SWEEP_MS (a connection becomes idle when its request finishes); whatever is
 * still open after HTTP_DRAIN_MS is cut.
 */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const cut = setTimeout(() => server.closeAllConnections(), HTTP_DRAIN_MS);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
