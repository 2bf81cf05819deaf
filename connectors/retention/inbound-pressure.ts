import type { Orm } from '../../platform/db/orm.ts';
import { readInboundLatency, type InboundLatencyReading } from './inbound-latency.sql.ts';
import type { PressureSignal } from './sweep-throttle.ts';

/**
 * What the sweep reads to see the inbound path slow down (README.md, invariant 6): the end-to-end
 * latency of the installation's recent inbound messages (accepted → first reply sent, or → handled
 * when there is no reply), from the timestamps the pipeline writes in the messages table anyway.
 * Every process that accepts, drains or sends writes them to the one database, so a sweep in any
 * process sees the replies of all of them slow down, whatever slows them (the database's CPU or
 * disk, the event loop of the process the sweep shares with the engine).
 */
export class InboundPressureSignal implements PressureSignal {
  constructor(private readonly orm: Orm) {}

  inboundLatency(since: Date): Promise<InboundLatencyReading> {
    return readInboundLatency(this.orm.em.fork(), since);
  }
}
