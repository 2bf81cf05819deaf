import type { Logger } from '../logger.ts';

/**
 * Runs a team's assignment passes in this process, one at a time per team: a kick that comes
 * while the team's pass runs makes one more pass after it (its change may have committed after
 * the running pass read the queue), and any number of kicks meanwhile make only that one. Passes
 * of different teams run side by side. Correctness never rests on this (the assignment statement
 * is safe with any number of passes at once, in any process); it only saves work.
 */
export class TeamAssigner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private stopped = false;

  constructor(
    private readonly pass: (teamId: string) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  kick(teamId: string): void {
    if (this.stopped) return;
    if (this.running.has(teamId)) {
      this.again.add(teamId);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(teamId);
        try {
          await this.pass(teamId);
        } catch (err) {
          this.logger.warn({ err, teamId }, 'inbox assignment pass failed; the reconciler retries it');
        }
      } while (this.again.has(teamId) && !this.stopped);
    })().finally(() => this.running.delete(teamId));
    this.running.set(teamId, run);
  }

  /** Resolves when no pass is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }
}
