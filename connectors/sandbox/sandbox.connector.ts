import type { Clock } from '../../engine/clock.ts';
import type { ChannelConnector, OutboundSend, ProviderStatusUpdate, SendReceipt } from '../../engine/ports/channel-connector.port.ts';
import type { Logger } from '../../platform/logger.ts';

/** An outbound message as the sandbox "delivered" it, for a test-chat UI or a test to observe. */
export interface SandboxOutbound extends OutboundSend {
  providerMessageId: string;
  at: Date;
}

export type SandboxOutboundListener = (message: SandboxOutbound) => void;

/** Where the sandbox reports statuses: the StatusUpdater. */
export interface StatusSink {
  apply(update: ProviderStatusUpdate): Promise<boolean>;
}

export const DEFAULT_DELIVERED_AFTER_MS = 300;
export const DEFAULT_READ_AFTER_MS = 1_000;
/*
 * The worker records the provider id just after `send` returns, so the first delivery report can
 * arrive before there is anything to update; it is retried this many times, `deliveredAfterMs` apart.
 */
const REPORT_ATTEMPTS = 10;

/**
 * The sandbox channel: no phone and no outside system. `send` "delivers" at once, tells the
 * `onOutbound` listeners, then reports `delivered` and, a little later, `read`, through the same
 * status path a real provider uses. The provider id is derived from the message id, so a resend
 * of the same message after a crash carries the same provider id and an observer keyed on it shows
 * it once; that is why the composition root may register it with `deduplicatesSends: true`.
 */
export class SandboxConnector implements ChannelConnector {
  readonly kind = 'sandbox' as const;
  private readonly listeners = new Set<SandboxOutboundListener>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly deliveredAfterMs: number;
  private readonly readAfterMs: number;

  constructor(private readonly deps: { statuses: StatusSink; clock: Clock; logger: Logger; deliveredAfterMs?: number; readAfterMs?: number }) {
    this.deliveredAfterMs = deps.deliveredAfterMs ?? DEFAULT_DELIVERED_AFTER_MS;
    this.readAfterMs = deps.readAfterMs ?? DEFAULT_READ_AFTER_MS;
  }

  /** Observes every outbound sandbox message; returns a function that stops observing. */
  onOutbound(listener: SandboxOutboundListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(message: OutboundSend): Promise<SendReceipt> {
    const providerMessageId = `sandbox:${message.messageId}`;
    const delivered: SandboxOutbound = { ...message, providerMessageId, at: this.deps.clock.now() };
    for (const listener of this.listeners) {
      try {
        listener(delivered);
      } catch (err) {
        this.deps.logger.error({ err, messageId: message.messageId }, 'sandbox outbound listener failed');
      }
    }
    this.later(this.deliveredAfterMs, () => this.report(message.channelId, providerMessageId, 'delivered', REPORT_ATTEMPTS));
    return { providerMessageId };
  }

  /** Cancels the status reports still pending (at shutdown, or at the end of a test). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async report(channelId: string, providerMessageId: string, status: 'delivered' | 'read', attemptsLeft: number): Promise<void> {
    const applied = await this.deps.statuses.apply({ channelId, providerMessageId, status, at: this.deps.clock.now() });
    if (status === 'delivered') {
      if (applied) this.later(this.readAfterMs, () => this.report(channelId, providerMessageId, 'read', 1));
      else if (attemptsLeft > 1) this.later(this.deliveredAfterMs, () => this.report(channelId, providerMessageId, 'delivered', attemptsLeft - 1));
    }
  }

  private later(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // A report cut short by a shutdown is not an error: the process is going away with its pool.
      fn().catch((err: unknown) => (this.stopped ? this.deps.logger.debug({ err }, 'sandbox status report dropped at shutdown') : this.deps.logger.error({ err }, 'sandbox status report failed')));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
