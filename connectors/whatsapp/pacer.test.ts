import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../engine/errors/app-error.ts';
import { MemorySendLog, Pacer } from './pacer.ts';
import { PacingSettingsSchema, type PacingSettings } from '../../engine/channels/whatsapp-settings.ts';

function pacerAt(settings: Partial<PacingSettings>, random = 0) {
  let now = Date.parse('2026-11-26T10:00:00Z');
  const slept: number[] = [];
  const pacer = new Pacer({
    clock: { now: () => new Date(now) },
    // The injected sleep advances the injected clock: no real waiting.
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random: () => random,
    settings: () => PacingSettingsSchema.parse(settings),
    log: new MemorySendLog(),
  });
  return { pacer, slept, advance: (ms: number) => (now += ms) };
}

describe('Pacer', () => {
  it('lets the first send go at once, then waits for the minimum gap plus jitter', async () => {
    const { pacer, slept } = pacerAt({ minGapMs: 4_000, jitterMs: 2_000 }, 0.5);
    await pacer.waitTurn();
    await pacer.recordSend();
    await pacer.waitTurn();
    expect(slept).toEqual([5_000]);
  });

  it('waits only for what is left of the gap when time has passed', async () => {
    const { pacer, slept, advance } = pacerAt({ minGapMs: 4_000, jitterMs: 0 });
    await pacer.waitTurn();
    await pacer.recordSend();
    advance(3_000);
    await pacer.waitTurn();
    expect(slept).toEqual([1_000]);
  });

  it('refuses a send over the per-minute cap with a retryable error carrying the wait', async () => {
    const { pacer, advance } = pacerAt({ minGapMs: 0, jitterMs: 0, perMinute: 2 });
    for (let i = 0; i < 2; i++) {
      await pacer.waitTurn();
      await pacer.recordSend();
      advance(10_000);
    }
    const refused = await pacer.waitTurn().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).disposition).toBe('retry');
    // The first send was 20 s ago: the window has room again in 40 s.
    expect((refused as RateLimitedError).retryAfterSeconds).toBe(40);
    advance(40_000);
    await expect(pacer.waitTurn()).resolves.toBeUndefined();
  });

  it('applies the hourly and daily caps too', async () => {
    const { pacer, advance } = pacerAt({ minGapMs: 0, jitterMs: 0, perMinute: 100, perHour: 3, perDay: 4 });
    for (let i = 0; i < 3; i++) {
      await pacer.waitTurn();
      await pacer.recordSend();
    }
    await expect(pacer.waitTurn()).rejects.toBeInstanceOf(RateLimitedError);
    advance(60 * 60_000);
    await pacer.waitTurn();
    await pacer.recordSend();
    const refused = (await pacer.waitTurn().catch((e: unknown) => e)) as RateLimitedError;
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused.retryAfterSeconds).toBe(23 * 60 * 60);
  });

  it('shows typing for a time proportional to the text, within bounds', () => {
    const { pacer } = pacerAt({ typingMsPerChar: 50, typingMinMs: 500, typingMaxMs: 3_000 });
    expect(pacer.typingMs('hi')).toBe(500);
    expect(pacer.typingMs('x'.repeat(20))).toBe(1_000);
    expect(pacer.typingMs('x'.repeat(1_000))).toBe(3_000);
  });

  it('has safe defaults', () => {
    expect(PacingSettingsSchema.parse({})).toMatchObject({ minGapMs: 4_000, perMinute: 10, perHour: 200, perDay: 1_000 });
  });
});
