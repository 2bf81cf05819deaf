import type { Clock } from '../../engine/clock.ts';
import { RateLimitedError } from '../../engine/errors/app-error.ts';
import type { PacingSettings } from '../../engine/channels/whatsapp-settings.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export type Sleep = (ms: number) => Promise<void>;

/**
 * When a number sent, for the last day. Kept outside the process (Redis in production) so that
 * a restart or a failover to another process does not reset the caps.
 */
export interface SendLog {
  add(atMs: number): Promise<void>;
  /** Send times after `fromMs`, oldest first. */
  since(fromMs: number): Promise<number[]>;
}

/** A SendLog in memory (unit tests). */
export class MemorySendLog implements SendLog {
  private readonly times: number[] = [];
  async add(atMs: number): Promise<void> {
    this.times.push(atMs);
  }
  async since(fromMs: number): Promise<number[]> {
    return this.times.filter((t) => t > fromMs);
  }
}
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The pace of one number, in the process that holds its session (the send queue runs one
 * message at a time per channel, so calls never overlap); the send times are in a SendLog. A send waits for the minimum gap plus
 * jitter since the previous one; a send that would exceed a per-minute/hour/day cap is refused
 * with a retryable RateLimitedError carrying the wait, so the job comes back when the window has
 * room instead of holding the queue.
 */
export class Pacer {
  private nextGapMs: number;

  constructor(private readonly deps: { clock: Clock; sleep: Sleep; random: () => number; settings: () => PacingSettings; log: SendLog }) {
    this.nextGapMs = this.drawGap();
  }

  /** Resolves when a send may start; throws RateLimitedError when a cap is reached. */
  async waitTurn(): Promise<void> {
    const s = this.deps.settings();
    const now = this.deps.clock.now().getTime();
    const sent = await this.deps.log.since(now - DAY_MS);
    const waitMs = Math.max(
      capWait(sent, now, MINUTE_MS, s.perMinute),
      capWait(sent, now, HOUR_MS, s.perHour),
      capWait(sent, now, DAY_MS, s.perDay),
    );
    if (waitMs > 0) throw new RateLimitedError(Math.ceil(waitMs / 1000));
    const last = sent.at(-1);
    if (last !== undefined) {
      const gapLeftMs = last + this.nextGapMs - now;
      if (gapLeftMs > 0) await this.deps.sleep(gapLeftMs);
    }
  }

  /** Records a send that reached WhatsApp. */
  async recordSend(): Promise<void> {
    await this.deps.log.add(this.deps.clock.now().getTime());
    this.nextGapMs = this.drawGap();
  }

  /** How long to show "typing" before sending `text`. */
  typingMs(text: string): number {
    const s = this.deps.settings();
    return Math.min(s.typingMaxMs, Math.max(s.typingMinMs, text.length * s.typingMsPerChar));
  }

  private drawGap(): number {
    const s = this.deps.settings();
    return s.minGapMs + Math.round(this.deps.random() * s.jitterMs);
  }
}

/** The wait until a window of `windowMs` has room for one more send under `cap`; 0 when it has. */
function capWait(sent: number[], now: number, windowMs: number, cap: number): number {
  const inWindow = sent.filter((t) => t > now - windowMs);
  if (inWindow.length < cap) return 0;
  // The oldest send that must leave the window before one more fits.
  return inWindow[inWindow.length - cap]! + windowMs - now;
}
