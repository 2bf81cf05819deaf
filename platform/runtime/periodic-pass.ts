import type { Logger } from '../logger.ts';

/**
 * Runs a pass every `intervalMs`, one at a time: the next starts `intervalMs` after the previous
 * one ended, so a slow pass never overlaps the next. A failed pass is logged, and the next one
 * runs as planned.
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly failure: { logger: Logger; message: string },
  ) {}

  start(intervalMs: number): void {
    if (this.timer) return;
    const tick = (): void => {
      this.running = this.pass()
        .then(() => undefined)
        .catch((err: unknown) => this.failure.logger.error({ err }, this.failure.message));
      void this.running.finally(() => {
        this.running = null;
        if (this.timer) this.timer = setTimeout(tick, intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
