import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Queue } from 'bullmq';

/** Job states whose depth is exported per queue. */
const DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** Seconds; spans a cache hit (~1 ms) to a slow export (~10 s). */
const HTTP_DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus metrics of one process, on a registry of its own (never prom-client's global
 * one), so that two runtimes in one test process do not share counters.
 */
export class ProcessMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly jobsProcessed: Counter<'queue'>;
  readonly jobsFailed: Counter<'queue'>;
  readonly usageEventsDropped: Counter;

  /** `openQueues` is asked at each scrape: queues opened after start-up are included. */
  constructor(openQueues: () => Queue[]) {
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request',
      labelNames: ['method', 'route'],
      buckets: HTTP_DURATION_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    this.jobsProcessed = new Counter({
      name: 'jobs_processed_total',
      help: 'Jobs that completed in this process',
      labelNames: ['queue'],
      registers: [this.registry],
    });
    this.jobsFailed = new Counter({
      name: 'jobs_failed_total',
      help: 'Job attempts that failed in this process (a retried job counts once per failed attempt)',
      labelNames: ['queue'],
      registers: [this.registry],
    });
    this.usageEventsDropped = new Counter({
      name: 'usage_events_dropped_total',
      help: 'Usage events dropped because the buffer was full or a batch was refused',
      registers: [this.registry],
    });
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state, read from Redis at scrape time',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          openQueues().map(async (queue) => {
            const counts = await queue.getJobCounts(...DEPTH_STATES);
            for (const state of DEPTH_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });
  }

  /** The exposition text for a scrape. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
