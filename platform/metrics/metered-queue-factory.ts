import type { Processor, Queue, QueueOptions, Worker, WorkerOptions } from 'bullmq';
import type { Logger } from '../logger.ts';
import { QueueFactory } from '../queues/queue-factory.ts';
import type { Redis } from '../redis.ts';
import type { ProcessMetrics } from './process-metrics.ts';

/**
 * A QueueFactory whose workers feed the job counters, and whose queues and workers log their
 * connection errors. BullMQ emits 'error' on both; an EventEmitter with no 'error' listener
 * throws, so this listener is also what keeps a Redis outage from crashing the process.
 */
export class MeteredQueueFactory extends QueueFactory {
  private readonly watched = new WeakSet<Queue>();

  constructor(
    connection: Redis,
    prefix: string,
    private readonly metrics: ProcessMetrics,
    private readonly logger: Logger,
  ) {
    super(connection, prefix);
  }

  override queue<T = unknown>(name: string, opts: Omit<QueueOptions, 'connection' | 'prefix'> = {}): Queue<T> {
    const queue = super.queue<T>(name, opts);
    if (!this.watched.has(queue as Queue)) {
      this.watched.add(queue as Queue);
      queue.on('error', (err) => this.logger.warn({ err, queue: name }, 'queue error'));
    }
    return queue;
  }

  override worker<T = unknown>(name: string, processor: Processor<T>, opts: Omit<WorkerOptions, 'connection' | 'prefix'> = {}): Worker<T> {
    const worker = super.worker<T>(name, processor, opts);
    worker.on('completed', () => this.metrics.jobsProcessed.inc({ queue: name }));
    worker.on('failed', () => this.metrics.jobsFailed.inc({ queue: name }));
    worker.on('error', (err) => this.logger.warn({ err, queue: name }, 'worker error'));
    return worker;
  }
}
