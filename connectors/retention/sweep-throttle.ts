import type { InboundLatencyReading, InboundLatencySample } from './inbound-latency.sql.ts';

/** What the throttle reads about the inbound path (InboundPressureSignal; scripted in tests). */
export interface PressureSignal {
  /** Latencies of the inbound messages accepted since `since` (every process's, from the database). */
  inboundLatency(since: Date): Promise<InboundLatencyReading>;
}

/** How a sweep yields to live traffic (connectors/retention/README.md, invariant 6). */
export interface PressureOptions {
  /** The inbound path is slow when recent messages take more than this many times their idle latency… */
  slowFactor: number;
  /** …and at least this much more than it, ms (a 5 ms path going to 9 ms is noise). */
  slowMarginMs: number;
  /** The smallest share of wall time the sweep works under pressure: it always finishes (at ≥ this share of its idle rate). */
  minDuty: number;
  /** The share it starts with when inbound traffic is flowing (slow start); with none, it starts at full speed. */
  startDuty: number;
  /** Additive increase of the share after a calm reading. */
  dutyStep: number;
  /** Multiplicative decrease of the share (and of the batch size) after a slow reading. */
  backoff: number;
  /** The smallest batch under pressure, as a fraction of the configured batch. */
  minBatchFraction: number;
  /** The signal is read at most this often (a reading is a query); between readings the share is kept. */
  readIntervalMs: number;
  /** Messages accepted in the last this many ms make a reading. */
  windowMs: number;
  /** The idle latency is the quantile of the messages accepted in this window before the sweep. */
  baselineWindowMs: number;
  /** Traffic that starts mid-sweep (no idle latency known): the sweep rests this long to measure one. */
  calibrationMs: number;
}

export const DEFAULT_PRESSURE: PressureOptions = {
  slowFactor: 1.5,
  slowMarginMs: 10,
  minDuty: 0.2,
  startDuty: 0.5,
  dutyStep: 0.1,
  backoff: 0.5,
  minBatchFraction: 0.25,
  readIntervalMs: 200,
  windowMs: 1_000,
  baselineWindowMs: 30_000,
  calibrationMs: 2_000,
};

/**
 * A reading compares the median latency of the last `windowMs` with the idle median: the sweep
 * moves the whole distribution, and a median of 20 messages is steady where their p90 (the
 * second slowest) jumps with every hiccup of a loaded machine and would keep the sweep resting.
 */
const WINDOW_QUANTILE = 0.5;
/** A reading's window is at least this many idle median latencies long. */
const WINDOW_PER_IDLE_LATENCY = 4;
/** Fewer finished messages than this in the baseline window: no idle latency known yet. */
const MIN_BASELINE_SAMPLES = 10;

export type Verdict = 'slow' | 'calm' | 'hold';

/** The `q` quantile of `values` (nearest rank); NaN for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * An AIMD duty cycle for a sweep (as TCP's congestion window): after each batch the sweep rests
 * `batch × (1 − duty) / duty`, so it works `duty` of the wall time. A reading where the inbound
 * path is slower than idle halves the duty (down to `minDuty`) and the batch size; a calm one adds
 * `dutyStep` and grows the batch back. With no inbound traffic at all the sweep runs at full speed.
 *
 * A reading judges only messages accepted after the last backoff (those that saw the new duty):
 * the slow replies of before the backoff would otherwise halve it again and again. A message
 * still on its way counts with its age so far.
 */
export class SweepThrottle {
  /** The share of wall time the sweep works (1: no rest). */
  duty = 1;
  /** The batch size, as a fraction of the configured one. */
  batchFraction = 1;
  /** Idle median latency of the inbound path, ms; null until known. */
  baselineMs: number | null = null;
  /** Time spent resting (and calibrating), ms. */
  pausedMs = 0;
  /** Readings that found the inbound path slow, for the sweep's audit entry. */
  slowReadings = 0;
  /** Readings that could not decide (messages still on their way), for the sweep's audit entry. */
  undecidedReadings = 0;
  private lastReadAt = -Infinity;
  private lastBackoffAt = -Infinity;
  /** A calibration rest was taken (at most one per sweep: sparse traffic must not make it crawl). */
  private calibrated = false;

  constructor(
    private readonly deps: { signal: PressureSignal; options: PressureOptions; now: () => number; sleep: (ms: number) => Promise<void> },
  ) {}

  private get o(): PressureOptions {
    return this.deps.options;
  }

  /** Reads the idle latency (before the first batch): that of the messages of the last `baselineWindowMs`. */
  async start(): Promise<void> {
    const now = this.deps.now();
    const reading = await this.deps.signal.inboundLatency(new Date(now - this.o.baselineWindowMs));
    this.setBaseline(reading, MIN_BASELINE_SAMPLES);
    const traffic = reading.samples.some((s) => s.receivedMs >= reading.nowMs - this.o.windowMs);
    this.duty = traffic ? this.o.startDuty : 1;
    this.lastReadAt = now;
  }

  /** Rows for the next batch. */
  batchRows(configured: number): number {
    return Math.max(1, Math.round(configured * this.batchFraction));
  }

  /** After a batch of `batchMs`: reads the signal when it is due, adapts the duty, rests. */
  async afterBatch(batchMs: number): Promise<Verdict | null> {
    let verdict: Verdict | null = null;
    if (this.deps.now() - this.lastReadAt >= this.o.readIntervalMs) {
      verdict = await this.read();
      // Undecided: most recent messages are still on their way, e.g. held up behind a long batch.
      // That proves no calm, so the duty is kept rather than raised.
      if (verdict === 'hold') this.undecidedReadings += 1;
      this.adapt(verdict);
    }
    const rest = (batchMs * (1 - this.duty)) / this.duty;
    if (rest >= 1) await this.rest(rest);
    return verdict;
  }

  private setBaseline(reading: InboundLatencyReading, minSamples: number): void {
    const finished = finishedLatencies(reading.samples);
    if (finished.length < minSamples) return;
    this.baselineMs = quantile(finished, WINDOW_QUANTILE);
  }

  private async rest(ms: number): Promise<void> {
    await this.deps.sleep(ms);
    this.pausedMs += ms;
  }

  private adapt(verdict: Verdict): void {
    if (verdict === 'slow') {
      this.slowReadings += 1;
      this.duty = Math.max(this.o.minDuty, this.duty * this.o.backoff);
      this.batchFraction = Math.max(this.o.minBatchFraction, this.batchFraction * this.o.backoff);
      this.lastBackoffAt = this.deps.now();
    } else if (verdict === 'calm') {
      this.duty = Math.min(1, this.duty + this.o.dutyStep);
      this.batchFraction = Math.min(1, this.batchFraction / this.o.backoff);
    }
  }

  /** One reading of the signal: slow, calm (or no traffic), or hold (no message has seen the current duty yet). */
  async read(): Promise<Verdict> {
    const now = this.deps.now();
    this.lastReadAt = now;
    // Wide enough for most of its messages to have finished at the idle latency, or a path slower
    // than the window (seconds on a loaded machine) would leave every reading undecided.
    const windowMs = Math.max(this.o.windowMs, WINDOW_PER_IDLE_LATENCY * (this.baselineMs ?? 0));
    const reading = await this.deps.signal.inboundLatency(new Date(now - windowMs));
    if (reading.samples.length === 0) return 'calm';
    if (this.baselineMs === null) {
      // No idle latency known; judging against none would be guessing.
      if (this.calibrated) return 'calm';
      // Traffic began during the sweep: rest once so that its messages show their idle latency.
      this.calibrated = true;
      const calibrating = this.deps.now();
      await this.rest(this.o.calibrationMs);
      this.setBaseline(await this.deps.signal.inboundLatency(new Date(calibrating)), 1);
      this.lastReadAt = this.deps.now();
      return 'hold';
    }
    // Only messages accepted since the last backoff judge the current duty (on the database's clock: skew-free).
    const since = reading.nowMs - (now - this.lastBackoffAt);
    const judged = reading.samples.filter((s) => s.receivedMs >= since);
    if (judged.length === 0) return 'hold';
    const limit = Math.max(this.baselineMs * this.o.slowFactor, this.baselineMs + this.o.slowMarginMs);
    // A message still on its way has taken at least its age so far, and at most forever: the
    // median of those bounds says slow (even when replies stopped altogether), calm, or not yet.
    const atLeast = judged.map((s) => (s.doneMs ?? reading.nowMs) - s.receivedMs);
    if (quantile(atLeast, WINDOW_QUANTILE) > limit) return 'slow';
    const atMost = judged.map((s) => (s.doneMs === null ? Number.POSITIVE_INFINITY : s.doneMs - s.receivedMs));
    return quantile(atMost, WINDOW_QUANTILE) <= limit ? 'calm' : 'hold';
  }
}

function finishedLatencies(samples: InboundLatencySample[]): number[] {
  return samples.flatMap((s) => (s.doneMs === null ? [] : [s.doneMs - s.receivedMs]));
}
