import type { Logger } from '../logger.ts';

/** The whole shutdown must end within this; past it the process exits 1 whatever still hangs. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

export interface GracefulShutdownOptions {
  logger: Logger;
  deadlineMs?: number;
  /** Injected so that tests can observe the exit code instead of ending the test process. */
  exit?: (code: number) => void;
}

/**
 * Runs the shutdown steps in the order they were added, once, on the first SIGINT or SIGTERM.
 * Each step is logged with its duration; a failing step is logged and the next one still runs
 * (a hung Redis must not keep the ORM open), and the exit code is then 1. A second signal exits
 * at once with 1; so does the hard deadline.
 */
export class GracefulShutdown {
  private readonly steps: ShutdownStep[] = [];
  private running: Promise<void> | undefined;
  private readonly deadlineMs: number;
  private readonly exit: (code: number) => void;
  private readonly onSignal = (signal: NodeJS.Signals) => void this.run(signal);

  constructor(private readonly opts: GracefulShutdownOptions) {
    this.deadlineMs = opts.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
    this.exit = opts.exit ?? ((code) => process.exit(code));
  }

  /** Adds a step; steps run in the order added, so add them in reverse order of start-up. */
  add(name: string, run: () => Promise<void>): this {
    this.steps.push({ name, run });
    return this;
  }

  /** Handles SIGINT and SIGTERM from now on. */
  listen(): this {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    return this;
  }

  /** Starts the shutdown (or, when one is running, forces the exit). */
  run(reason: string): Promise<void> {
    const { logger } = this.opts;
    if (this.running) {
      logger.warn({ reason }, 'shutdown: second signal, exiting now');
      this.exit(1);
      return this.running;
    }
    this.running = this.runSteps(reason);
    return this.running;
  }

  private async runSteps(reason: string): Promise<void> {
    const { logger } = this.opts;
    const started = Date.now();
    logger.info({ reason, deadlineMs: this.deadlineMs }, 'shutdown: started');
    const deadline = setTimeout(() => {
      logger.error({ elapsedMs: Date.now() - started }, 'shutdown: deadline passed, exiting with work still open');
      this.exit(1);
    }, this.deadlineMs);
    // The deadline must not itself keep the process alive once everything has closed.
    deadline.unref();

    let failed = false;
    for (const step of this.steps) {
      const stepStarted = Date.now();
      logger.info({ step: step.name }, `shutdown: ${step.name}`);
      try {
        await step.run();
        logger.info({ step: step.name, ms: Date.now() - stepStarted }, `shutdown: ${step.name} done`);
      } catch (err) {
        failed = true;
        logger.error({ err, step: step.name }, `shutdown: ${step.name} failed`);
      }
    }
    clearTimeout(deadline);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    logger.info({ ms: Date.now() - started, failed }, 'shutdown: complete');
    this.exit(failed ? 1 : 0);
  }
}
