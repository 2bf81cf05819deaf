import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Orm } from '../../platform/db/orm.ts';
import { readInboundLatency, type InboundLatencyReading } from './inbound-latency.sql.ts';
import type { PressureSignal } from './sweep-throttle.ts';

/** Resolution of the event-loop delay histogram, ms (Node's default). */
const LOOP_RESOLUTION_MS = 10;
/** Nanoseconds per millisecond (the histogram counts in ns). */
const NS_PER_MS = 1e6;

/**
 * What the sweep reads to see the inbound path slow down (README.md, invariant 6):
 * - the end-to-end latency of the installation's recent inbound messages (accepted → first reply
 *   sent, or → handled when there is no reply), from the timestamps the pipeline writes in the
 *   messages table anyway: every process that accepts, drains or sends writes them to the one
 *   database, so a sweep in any process sees the replies of all of them slow down;
 * - this process's event-loop delay: a sweep sharing its process with the engine (the worker role)
 *   delays every callback of the auto-replies too, and this sees it at once, before a reply is late.
 * Call `close` when the sweep ends (the histogram's timer).
 */
export class InboundPressureSignal implements PressureSignal {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  constructor(private readonly orm: Orm) {
    this.loop.enable();
  }

  inboundLatency(since: Date): Promise<InboundLatencyReading> {
    return readInboundLatency(this.orm.em.fork(), since);
  }

  loopDelayMs(): number {
    // Empty (no tick since the last reset): no delay seen.
    const p99 = this.loop.count > 0 ? this.loop.percentile(99) / NS_PER_MS : 0;
    this.loop.reset();
    // The histogram counts the resolution's own timer interval in each delay.
    return Math.max(0, p99 - LOOP_RESOLUTION_MS);
  }

  close(): void {
    this.loop.disable();
  }
}
