import { describe, expect, it } from 'vitest';
import type { InboundLatencyReading, InboundLatencySample } from './inbound-latency.sql.ts';
import { DEFAULT_PRESSURE, quantile, SweepThrottle, type PressureSignal } from './sweep-throttle.ts';

/**
 * The database's clock (ages of pending messages, their times) runs this far ahead of the sweep's
 * (the ids' times, the window asked for): a reading must not depend on the two agreeing.
 */
const DB_CLOCK_OFFSET_MS = 1_700_000_000_000;
const BATCH_MS = 100;

/**
 * A fake installation: inbound messages arrive every `intervalMs` (none when null) and each is done
 * `latencyMs(receivedAt)` after it arrived; time moves only when the sweep works or rests.
 */
class FakeTraffic implements PressureSignal {
  t = 0;
  reads = 0;
  constructor(
    public intervalMs: number | null,
    public latencyMs: (receivedAt: number) => number,
    private readonly startAt = -60_000,
  ) {}

  async inboundLatency(since: Date): Promise<InboundLatencyReading> {
    this.reads += 1;
    const samples: InboundLatencySample[] = [];
    if (this.intervalMs !== null) {
      const from = Math.max(this.startAt, since.getTime());
      for (let at = Math.ceil(from / this.intervalMs) * this.intervalMs; at <= this.t; at += this.intervalMs) {
        const done = at + this.latencyMs(at);
        samples.push({ receivedMs: at + DB_CLOCK_OFFSET_MS, doneMs: done <= this.t ? done + DB_CLOCK_OFFSET_MS : null });
      }
    }
    return { nowMs: this.t + DB_CLOCK_OFFSET_MS, samples };
  }
}

function throttleOn(traffic: FakeTraffic, options = DEFAULT_PRESSURE) {
  const slept: number[] = [];
  const throttle = new SweepThrottle({
    signal: traffic,
    options,
    now: () => traffic.t,
    sleep: async (ms) => {
      slept.push(ms);
      traffic.t += ms;
    },
  });
  /** The sweep's working share from each instant on (0 before it started). */
  const shares: { from: number; duty: number }[] = [];
  const dutyAt = (at: number) => shares.findLast((s) => s.from <= at)?.duty ?? 0;
  /** A batch of BATCH_MS, then what the throttle does after it. */
  const batch = async () => {
    shares.push({ from: traffic.t, duty: throttle.duty });
    traffic.t += BATCH_MS;
    return throttle.afterBatch(BATCH_MS);
  };
  return { throttle, slept, batch, dutyAt };
}

describe('when no inbound message arrives', () => {
  it('sweeps at full speed from the first batch and never rests', async () => {
    const traffic = new FakeTraffic(null, () => 0);
    const { throttle, slept, batch } = throttleOn(traffic);
    await throttle.start();
    expect(throttle.duty).toBe(1);
    for (let i = 0; i < 50; i++) await batch();
    expect(slept).toEqual([]);
    expect(throttle.batchRows(5_000)).toBe(5_000);
  });
});

describe('when auto-replies are answered as fast as when idle', () => {
  it('starts at half speed and reaches full speed by additive steps', async () => {
    const traffic = new FakeTraffic(50, () => 40);
    const { throttle, batch } = throttleOn(traffic);
    await throttle.start();
    expect(throttle.baselineMs).toBe(40);
    expect(throttle.duty).toBe(DEFAULT_PRESSURE.startDuty);
    const duties: number[] = [];
    for (let i = 0; i < 30; i++) {
      if ((await batch()) === 'calm') duties.push(throttle.duty);
    }
    expect(duties.slice(0, 3).map((d) => Math.round(d * 10) / 10)).toEqual([0.6, 0.7, 0.8]);
    expect(throttle.duty).toBe(1);
    expect(throttle.slowReadings).toBe(0);
  });

  it('reaches full speed when the idle latency is longer than the reading window (a loaded machine)', async () => {
    const traffic = new FakeTraffic(50, () => 2_500);
    const { throttle, batch } = throttleOn(traffic);
    await throttle.start();
    for (let i = 0; i < 200; i++) await batch();
    expect(throttle.slowReadings).toBe(0);
    expect(throttle.duty).toBe(1);
  });

  it('reads the signal at most once per read interval, whatever the batches', async () => {
    const traffic = new FakeTraffic(50, () => 40);
    const { throttle, batch } = throttleOn(traffic);
    await throttle.start();
    const readsAfterStart = traffic.reads;
    const began = traffic.t;
    for (let i = 0; i < 40; i++) await batch();
    expect(traffic.reads - readsAfterStart).toBeLessThanOrEqual(Math.ceil((traffic.t - began) / DEFAULT_PRESSURE.readIntervalMs));
  });
});

describe('when the auto-replies slow down while the sweep works', () => {
  /** Replies take 40 ms, or 200 ms when they arrive while the sweep works more than a third of the time. */
  function contended() {
    const traffic = new FakeTraffic(50, () => 40);
    const t = throttleOn(traffic);
    traffic.latencyMs = (at) => (t.dutyAt(at) > 1 / 3 ? 200 : 40);
    return { traffic, ...t };
  }

  it('halves its working share and its batch at a slow reading, and rests accordingly', async () => {
    const t = contended();
    const { throttle } = t;
    await throttle.start();
    throttle.duty = 1;
    let verdict = null;
    for (let i = 0; i < 100 && verdict !== 'slow'; i++) verdict = await t.batch();
    expect(throttle.duty).toBe(0.5);
    expect(throttle.batchRows(5_000)).toBe(2_500);
    // Rest after a batch at a share d: batch × (1 − d) / d.
    expect(t.slept.at(-1)).toBe(BATCH_MS);
  });

  it('settles around the share the inbound path tolerates instead of stopping or pressing on', async () => {
    const t = contended();
    const { throttle, traffic } = t;
    await throttle.start();
    const duties: number[] = [];
    for (let i = 0; i < 400; i++) {
      await t.batch();
      duties.push(throttle.duty);
    }
    const late = duties.slice(200);
    // It climbs back above the third by additive steps and is sent back below it once the median reply reads slow.
    expect(Math.max(...late)).toBeLessThan(0.8);
    expect(late.reduce((a, b) => a + b, 0) / late.length).toBeLessThan(0.55);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(DEFAULT_PRESSURE.minDuty);
    expect(throttle.slowReadings).toBeGreaterThan(1);
    // Resting most of the time at worst: the sweep still moves on.
    const worked = 400 * BATCH_MS;
    expect(worked / traffic.t).toBeGreaterThan(DEFAULT_PRESSURE.minDuty * 0.9);
  });

  it('never works less than its minimum share, however long the inbound path stays slow', async () => {
    const traffic = new FakeTraffic(50, () => 40);
    const { throttle, slept, batch } = throttleOn(traffic);
    await throttle.start();
    traffic.latencyMs = () => 5_000;
    for (let i = 0; i < 100; i++) await batch();
    expect(throttle.duty).toBe(DEFAULT_PRESSURE.minDuty);
    expect(throttle.batchRows(5_000)).toBe(5_000 * DEFAULT_PRESSURE.minBatchFraction);
    expect(Math.max(...slept)).toBeLessThanOrEqual((BATCH_MS * (1 - DEFAULT_PRESSURE.minDuty)) / DEFAULT_PRESSURE.minDuty + 1e-9);
  });

  it('judges a backoff only by messages that arrived after it, not by the slow ones before it', async () => {
    const traffic = new FakeTraffic(50, () => 40);
    const { throttle, batch } = throttleOn(traffic);
    await throttle.start();
    throttle.duty = 1;
    // Replies of the first 150 ms are slow; the first reading (at 200 ms) sees them still waiting.
    const slowUntil = traffic.t + 150;
    traffic.latencyMs = (at) => (at < slowUntil ? 400 : 40);
    const verdicts: string[] = [];
    for (let i = 0; i < 40; i++) {
      const v = await batch();
      if (v) verdicts.push(v);
    }
    // One burst of slow replies, one backoff: the slow replies finishing later do not halve it again.
    expect(throttle.slowReadings).toBe(1);
    expect(verdicts).toContain('calm');
    expect(throttle.duty).toBe(1);
  });

  it('keeps calm when only the odd reply is slow, as at idle on a busy machine', async () => {
    // At idle one reply in ten takes 200 ms, the others 40 ms: the sweep must not take that for pressure.
    const traffic = new FakeTraffic(50, (at) => (Math.round(at / 50) % 10 === 0 ? 200 : 40));
    const { throttle, batch } = throttleOn(traffic);
    await throttle.start();
    for (let i = 0; i < 100; i++) await batch();
    expect(throttle.slowReadings).toBe(0);
    expect(throttle.duty).toBe(1);
  });

  it('reads slow when replies stop coming altogether (every recent message still waiting)', async () => {
    const traffic = new FakeTraffic(50, () => 40);
    const { throttle } = throttleOn(traffic);
    await throttle.start();
    const stuckFrom = traffic.t;
    traffic.latencyMs = (at) => (at >= stuckFrom ? 60_000 : 40);
    traffic.t += 150;
    // Most of the last second's messages were answered: not yet.
    expect(await throttle.read()).not.toBe('slow');
    traffic.t += DEFAULT_PRESSURE.windowMs;
    expect(await throttle.read()).toBe('slow');
  });
});

describe('when inbound traffic starts after the sweep did', () => {
  it('rests once to measure the idle latency, then judges against it', async () => {
    const traffic = new FakeTraffic(50, () => 40, 1_000);
    const { throttle, slept, batch } = throttleOn(traffic);
    await throttle.start();
    expect(throttle.baselineMs).toBeNull();
    expect(throttle.duty).toBe(1);
    while (traffic.t < 1_100) await batch();
    await batch();
    await batch();
    expect(slept).toContain(DEFAULT_PRESSURE.calibrationMs);
    expect(throttle.baselineMs).toBe(40);
    for (let i = 0; i < 20; i++) await batch();
    expect(slept.filter((ms) => ms === DEFAULT_PRESSURE.calibrationMs)).toHaveLength(1);
  });
});

describe('quantile', () => {
  it('takes the nearest rank', () => {
    expect(quantile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(quantile([3], 0.9)).toBe(3);
    expect(quantile([], 0.9)).toBeNaN();
  });
});
