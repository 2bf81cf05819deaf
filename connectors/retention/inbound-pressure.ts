import type { Orm } from '../../platform/db/orm.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/** How a sweep yields to live traffic between batches. */
export interface PressureOptions {
  /**
   * The rest after every batch, as a fraction of the batch's duration, however fast the probe (1:
   * the sweep works at most half of the time). The sweep's backend runs flat out during a batch; on
   * a machine of two cores that is half of it, taken from the live traffic whether or not the probe
   * notices (it did not: README "Sweep speed"), and its WAL and dirty pages go to the disk the live
   * commits flush to. A fixed share bounds both before the tail grows (0.5 met the latency target in
   * 2 of 5 quiet bench runs, 1 in 3 of 3: README, "Session 12").
   */
  baseRestRatio: number;
  /**
   * The most a sweep rests after a batch, as a fraction of the batch's duration (1: the sweep
   * works at least half of the time). The rest grows toward it while the inbound path is slow and
   * shrinks back to the base rest while it is fine.
   */
  restRatio: number;
  /** The inbound path counts as slow when a probe takes more than this many times its idle baseline… */
  slowFactor: number;
  /** …and at least this much more than it, in ms (a 0.2 ms probe doubling to 0.4 ms is noise). */
  slowMarginMs: number;
  /** Longest a sweep waits for the inbound path to recover before it goes on with one more batch. */
  maxPauseMs: number;
}

export const DEFAULT_PRESSURE: PressureOptions = { baseRestRatio: 1, restRatio: 1, slowFactor: 3, slowMarginMs: 5, maxPauseMs: 10_000 };

/** The rest a first slow probe starts with (a fraction of the batch's duration); it doubles from there. */
const FIRST_REST_RATIO = 0.125;

/** Probes taken for the idle baseline; their median is kept. */
const BASELINE_PROBES = 5;

/**
 * Paces a sweep and watches the inbound path from its side. After each batch the sweep rests
 * `baseRestRatio` of the batch's duration, always: a fixed duty cycle that bounds the CPU the
 * sweep's backend takes from live traffic. Then it probes the inbound store's first step (a
 * contact looked up by (workspace, phone) through its unique index, on a connection of the same
 * pool): a slow probe doubles the rest (up to `restRatio`) and makes it wait (doubling, up to
 * `maxPauseMs`) for the probe to recover; a fine probe halves it back toward the base. The probe
 * alone was not enough: a single indexed lookup did not slow down while the auto-replies' p99 did
 * (README "Sweep speed").
 */
export class InboundPressure {
  private baselineMs = 0;
  /** The adaptive rest, as a fraction of a batch's duration (0 while the inbound path is fine; the base rest applies under it). */
  restFraction = 0;
  /** Total time spent resting or waiting, for the sweep's progress. */
  pausedMs = 0;

  constructor(private readonly deps: { orm: Orm; workspaceId: string; options: PressureOptions; sleep?: (ms: number) => Promise<void> }) {}

  private sleep(ms: number): Promise<void> {
    return this.deps.sleep ? this.deps.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }

  async probeMs(): Promise<number> {
    const started = performance.now();
    await runSql(this.deps.orm.em.fork(), `select id from contacts where workspace_id = :workspaceId and phone = '+10000000000'`, {
      workspaceId: this.deps.workspaceId,
    });
    return performance.now() - started;
  }

  async measureBaseline(): Promise<number> {
    const probes: number[] = [];
    for (let i = 0; i < BASELINE_PROBES; i++) probes.push(await this.probeMs());
    probes.sort((a, b) => a - b);
    this.baselineMs = probes[Math.floor(probes.length / 2)]!;
    return this.baselineMs;
  }

  private isSlow(probeMs: number): boolean {
    const o = this.deps.options;
    return probeMs > Math.max(this.baselineMs * o.slowFactor, this.baselineMs + o.slowMarginMs);
  }

  /** Called after each batch: adapts the rest to the probe, rests, then waits while the inbound path is slow. */
  async afterBatch(batchMs: number): Promise<void> {
    const o = this.deps.options;
    let slow = this.isSlow(await this.probeMs());
    this.restFraction = slow
      ? Math.min(o.restRatio, Math.max(FIRST_REST_RATIO, this.restFraction * 2))
      : this.restFraction / 2 < FIRST_REST_RATIO / 8
        ? 0
        : this.restFraction / 2;
    const rest = batchMs * Math.max(o.baseRestRatio, this.restFraction);
    if (rest >= 1) {
      await this.sleep(rest);
      this.pausedMs += rest;
    }
    let wait = 50;
    let waited = 0;
    while (slow && waited < o.maxPauseMs) {
      slow = this.isSlow(await this.probeMs());
      if (!slow) break;
      await this.sleep(wait);
      waited += wait;
      this.pausedMs += wait;
      wait = Math.min(wait * 2, 1_000);
    }
  }
}
