import type { RequestObserver, RequestRecord } from '../http/request-record.ts';
import type { ProcessMetrics } from './process-metrics.ts';

/**
 * Counts requests and their durations by route pattern. Routes that are not patterns from the
 * API's table (the dashboard's own paths, static files) are folded into a few labels so that the
 * number of series stays bounded whatever paths clients ask for.
 */
export class HttpMetricsObserver implements RequestObserver {
  constructor(private readonly metrics: ProcessMetrics) {}

  observe(record: RequestRecord): void {
    const route = routeLabel(record.route);
    this.metrics.httpRequests.inc({ method: record.method, route, status: String(record.status) });
    this.metrics.httpDuration.observe({ method: record.method, route }, record.durationMs / 1000);
  }
}

const OPS_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/api/openapi.json', '<unmatched>']);

/** A bounded label for a request's route. */
export function routeLabel(route: string): string {
  if (route.startsWith('/v1/') || OPS_ROUTES.has(route)) return route;
  if (route === '/admin/queues' || route.startsWith('/admin/queues/')) return '/admin/queues/*';
  return '<static>';
}
