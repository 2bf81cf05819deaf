import { Router } from 'express';
import type { OperatorConfig } from '../../platform/config.ts';
import type { ProcessMetrics } from '../../platform/metrics/process-metrics.ts';
import { requestState } from '../register-routes.ts';
import { operatorCanSignIn, operatorGuard, type OperatorAttempts, type OperatorCredentials } from './operator-guard.ts';

/**
 * `GET /metrics`: Prometheus text for this process, for the operator only: METRICS_TOKEN (meant
 * for a scraper) or ADMIN_TOKEN as Bearer, or ADMIN_USER/ADMIN_PASSWORD as HTTP basic. Unset: not
 * served (404). Queue names, request counts per route and job counts of every workspace are in
 * it, so it is not left open to tenants.
 *
 * Not opened to loopback callers either: the app trusts proxy headers from loopback, and a
 * reverse proxy on the same host (the usual setup) connects from 127.0.0.1 for every outside
 * request, so "comes from loopback" would mean "comes from anyone" behind it. A sidecar scraper
 * sends METRICS_TOKEN (Prometheus: `authorization: { credentials: ... }`).
 */
export function metricsRouter(metrics: ProcessMetrics, operator: OperatorConfig, attempts: OperatorAttempts): Router {
  const router = Router();
  const credentials: OperatorCredentials = {
    bearerTokens: [operator.metricsToken, operator.token].filter((t): t is string => t !== null),
    basic: operator.basic,
  };
  if (!operatorCanSignIn(credentials)) return router;
  const guard = operatorGuard(
    credentials,
    'METRICS_TOKEN or ADMIN_TOKEN as a Bearer token, or ADMIN_USER and ADMIN_PASSWORD as HTTP basic',
    attempts,
  );
  router.get(
    '/metrics',
    (req, _res, next) => {
      requestState(req).route = '/metrics';
      next();
    },
    guard,
    async (_req, res, next) => {
      try {
        const { contentType, body } = await metrics.scrape();
        res.setHeader('Content-Type', contentType);
        res.send(body);
      } catch (err) {
        next(err);
      }
    },
  );
  return router;
}
