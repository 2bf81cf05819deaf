import { describe, expect, it } from 'vitest';
import type { Orm } from '../../platform/db/orm.ts';
import { DEFAULT_PRESSURE, InboundPressure, type PressureOptions } from './inbound-pressure.ts';

/** An InboundPressure whose probe answers from a script of timings, and whose sleeps are recorded, not waited. */
function scripted(probes: number[], options: PressureOptions = DEFAULT_PRESSURE): { pressure: InboundPressure; slept: number[] } {
  const slept: number[] = [];
  const pressure = new InboundPressure({ orm: {} as Orm, workspaceId: 'w', options, sleep: async (ms) => void slept.push(ms) });
  let i = 0;
  pressure.probeMs = async () => probes[Math.min(i++, probes.length - 1)]!;
  return { pressure, slept };
}

/** The adaptive part alone: no rest while the probe is fine. */
const ADAPTIVE_ONLY: PressureOptions = { ...DEFAULT_PRESSURE, baseRestRatio: 0 };

describe('when the inbound path stays as fast as when idle', () => {
  it('rests the base share of each batch and no more (the sweep works 2/3 of the time)', async () => {
    const { pressure, slept } = scripted([1, 1, 1, 1, 1, 1.2, 0.9, 1, 1, 1, 1, 1, 1]);
    await pressure.measureBaseline();
    for (let batch = 0; batch < 8; batch++) await pressure.afterBatch(100);
    expect(slept).toEqual(Array.from({ length: 8 }, () => 100 * DEFAULT_PRESSURE.baseRestRatio));
    expect(pressure.pausedMs).toBe(8 * 100 * DEFAULT_PRESSURE.baseRestRatio);
  });

  it('with no base rest, never rests between batches', async () => {
    const { pressure, slept } = scripted([1, 1, 1, 1, 1, 1.2, 0.9, 1, 1, 1, 1, 1, 1], ADAPTIVE_ONLY);
    await pressure.measureBaseline();
    for (let batch = 0; batch < 8; batch++) await pressure.afterBatch(100);
    expect(slept).toEqual([]);
    expect(pressure.pausedMs).toBe(0);
  });
});

describe('when the inbound path slows down under the sweep', () => {
  it('rests longer after each slow probe, waits for it to recover, then rests less once it is fast again', async () => {
    // Baseline 1 ms; then slow, slow (then recovered while waiting), slow, fine, fine, fine.
    const { pressure, slept } = scripted([1, 1, 1, 1, 1, 20, 1, 20, 1, 20, 1, 1, 1, 1], ADAPTIVE_ONLY);
    await pressure.measureBaseline();
    await pressure.afterBatch(100);
    const firstRest = pressure.restFraction;
    expect(firstRest).toBeGreaterThan(0);
    await pressure.afterBatch(100);
    expect(pressure.restFraction).toBe(firstRest * 2);
    await pressure.afterBatch(100);
    expect(pressure.restFraction).toBe(firstRest * 4);
    await pressure.afterBatch(100);
    await pressure.afterBatch(100);
    expect(pressure.restFraction).toBe(firstRest);
    expect(slept.length).toBeGreaterThan(0);
    expect(pressure.pausedMs).toBe(slept.reduce((a, b) => a + b, 0));
  });

  it('never rests more than its rest ratio allows', async () => {
    const { pressure } = scripted([1, 1, 1, 1, 1, ...Array.from({ length: 200 }, () => 50)]);
    await pressure.measureBaseline();
    for (let batch = 0; batch < 10; batch++) await pressure.afterBatch(100);
    expect(pressure.restFraction).toBe(DEFAULT_PRESSURE.restRatio);
  });
});
