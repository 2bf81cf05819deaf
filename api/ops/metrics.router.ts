import { Router } from 'express';
import type { ProcessMetrics } from '../../platform/metrics/process-metrics.ts';
import { requestState } from '../register-routes.ts';

/**
 * `GET /metrics`: Prometheus text for this process. Unauthenticated like most exporters: bind
 * the port privately or filter /metrics at the proxy when the API is public.
 */
export function metricsRouter(metrics: ProcessMetrics): Router {
  const router = Router();
  router.get('/metrics', async (req, res, next) => {
    requestState(req).route = '/metrics';
    try {
      const { contentType, body } = await metrics.scrape();
      res.setHeader('Content-Type', contentType);
      res.send(body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
