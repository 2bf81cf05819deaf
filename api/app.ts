import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { ApiDeps } from './api-deps.ts';
import { flowWebhookRouter } from './hooks/flow-webhook.router.ts';
import { webhookInboundRouter } from '../connectors/webhook/webhook-inbound.router.ts';
import { WebhookChannels } from '../connectors/webhook/webhook-channels.ts';
import { stripeWebhookRouter } from '../connectors/stripe/stripe-webhook.router.ts';
import { StatusUpdater } from '../platform/pipeline/status-updater.ts';
import { apiDocsRouter } from './docs/api-docs.router.ts';
import { editorApp } from './editor-app.ts';
import { errorHandler, sendError } from './http-errors.ts';
import { jsonBodyParser } from './json-body-parser.ts';
import { buildOpenApi } from './openapi.ts';
import { registerRoutes, requestState } from './register-routes.ts';
import { securityHeaders } from './security-headers.ts';
import { allRoutes } from './routes/index.ts';
import { BROADCAST_BODY_LIMIT_BYTES, BROADCASTS_PATH } from './routes/broadcasts.routes.ts';

/** Health probes answer every few seconds: logged only when they fail. */
const PROBE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);
const EDITOR_DIST = fileURLToPath(new URL('../editor/dist', import.meta.url));

/** The HTTP application: API, OpenAPI document, the process role's extra routers, the editor. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');

  // Request id for logs and responses; a caller's own id is kept when it looks sane.
  app.use((req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    (req as { id?: string }).id = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const state = requestState(req);
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const record = {
        method: req.method,
        route: state.route ?? (res.statusCode === 404 ? '<unmatched>' : req.path),
        // originalUrl: inside a mounted router req.path has lost its mount prefix.
        path: req.originalUrl.split('?')[0]!,
        status: res.statusCode,
        durationMs,
        ip: req.ip ?? null,
        userAgent: req.headers['user-agent'] ?? null,
        workspaceId: state.auth?.workspaceId ?? null,
        userId: state.auth?.userId ?? null,
        at: deps.clock.now(),
      };
      for (const observer of deps.observers) observer.observe(record);
      // Probes and static files would drown the log: API calls and errors only (a failing probe is an error).
      if ((state.route && !PROBE_ROUTES.has(state.route)) || res.statusCode >= 400)
        deps.logger.info(
          {
            reqId: id,
            method: req.method,
            route: record.route,
            status: res.statusCode,
            durationMs: Math.round(durationMs * 10) / 10,
            workspaceId: record.workspaceId,
          },
          'request',
        );
    });
    next();
  });

  app.use(securityHeaders(deps.config.publicUrl.startsWith('https:')));

  const openApi = buildOpenApi(allRoutes);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  // The API first, then the inbound hooks: the routes that take every message meet no other router on their way.
  const json = jsonBodyParser({ limit: deps.config.bodyLimitBytes, strict: true, type: ['application/json', 'application/*+json'] });
  // A broadcast's audience may be a list or a CSV of up to 100,000 phones: its routes take larger bodies (the schema bounds them).
  const broadcastJson = jsonBodyParser({
    limit: Math.max(deps.config.bodyLimitBytes, BROADCAST_BODY_LIMIT_BYTES),
    strict: true,
    type: ['application/json', 'application/*+json'],
  });
  app.use(BROADCASTS_PATH, broadcastJson);
  app.use('/api', json, registerRoutes(deps, allRoutes));
  // Unknown API paths, and whatever is left after the editor's files (an unknown path, /admin/queues
  // with no operator credentials set): the API's 404, never Express's HTML "Cannot GET".
  const notFound: express.RequestHandler = (req, res) =>
    sendError(res, 404, 'route_not_found', `no route ${req.method} ${req.originalUrl}`);
  app.use('/api', notFound);

  app.use(
    webhookInboundRouter({
      channels: new WebhookChannels({ orm: deps.orm, secretKey: deps.config.secretKey }),
      clock: deps.clock,
      bodyLimitBytes: deps.config.bodyLimitBytes,
      inbound: deps.inbound,
      statuses: new StatusUpdater({ orm: deps.orm, logger: deps.logger }),
    }),
  );
  app.use(flowWebhookRouter(deps));
  // Stripe's webhook, with billing on only: verified on its raw bytes, so mounted before any JSON parser.
  const billingProvider = deps.billing.provider;
  if (billingProvider) app.use(stripeWebhookRouter({ provider: billingProvider, accept: (event) => deps.billing.acceptEvent(event) }));

  // Operations (health, readiness, metrics, queue dashboard) and the API reference.
  for (const router of deps.extraRouters ?? []) app.use(router);
  app.use(apiDocsRouter());

  // The editor: the built app (index.html for any of its paths) when present, otherwise a page at / saying how to build it.
  app.use(editorApp(EDITOR_DIST));
  app.use(notFound);

  app.use(errorHandler(deps.logger));
  return app;
}
