import type { Job } from 'bullmq';
import type { Clock } from '../../engine/clock.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import type { InboxTimer } from './inbox-effects.ts';

/** Delayed jobs of the inbox: hand-off timeouts, auto-resolves, snooze ends, presence lapses. */
export const INBOX_TIMER_QUEUE = 'inbox-timers';

/** Timer jobs are retried this often when their handler fails (a lock, a lost connection). */
const TIMER_ATTEMPTS = 20;
const TIMER_BACKOFF_MS = 500;

type TimerJobData = {
  kind: InboxTimer['kind'];
  conversationId?: string;
  workspaceId?: string;
  userId?: string;
  waitStartedAt?: string;
  /** Jobs scheduled before waits were named by their start. */ queuedAt?: string;
  dueAt: string;
};

/**
 * The job id of a timer, deterministic as the engine's (`timer-<runId>-<step>`): scheduling the
 * same timer twice makes one job, and each handler re-checks the conversation (or the agent) it
 * was set for, so a timer whose reason has passed (the conversation was taken, the contact wrote,
 * the agent came back) does nothing.
 */
export function inboxTimerJobId(t: InboxTimer): string {
  switch (t.kind) {
    case 'handoff_timeout':
      return `handoff-timeout-${t.conversationId}-${t.waitStartedAt.getTime()}`;
    case 'auto_resolve':
      return `auto-resolve-${t.conversationId}-${t.dueAt.getTime()}`;
    case 'snooze_end':
      return `snooze-end-${t.conversationId}-${t.dueAt.getTime()}`;
    case 'presence_lapse':
      return `presence-lapse-${t.workspaceId}-${t.userId}-${t.dueAt.getTime()}`;
  }
}

function toData(t: InboxTimer): TimerJobData {
  const base = { kind: t.kind, dueAt: t.dueAt.toISOString() };
  if (t.kind === 'presence_lapse') return { ...base, workspaceId: t.workspaceId, userId: t.userId };
  if (t.kind === 'handoff_timeout') return { ...base, conversationId: t.conversationId, waitStartedAt: t.waitStartedAt.toISOString() };
  return { ...base, conversationId: t.conversationId };
}

function fromData(d: TimerJobData): InboxTimer {
  const dueAt = new Date(d.dueAt);
  switch (d.kind) {
    case 'presence_lapse':
      return { kind: d.kind, workspaceId: d.workspaceId!, userId: d.userId!, dueAt };
    case 'handoff_timeout':
      return { kind: d.kind, conversationId: d.conversationId!, waitStartedAt: new Date((d.waitStartedAt ?? d.queuedAt)!), dueAt };
    default:
      return { kind: d.kind, conversationId: d.conversationId!, dueAt };
  }
}

export class InboxTimers {
  constructor(private readonly deps: { queues: QueueFactory; clock: Clock }) {}

  async schedule(timers: readonly InboxTimer[]): Promise<void> {
    if (timers.length === 0) return;
    const now = this.deps.clock.now().getTime();
    await this.deps.queues.queue<TimerJobData>(INBOX_TIMER_QUEUE).addBulk(
      timers.map((t) => ({
        name: t.kind,
        data: toData(t),
        opts: {
          jobId: inboxTimerJobId(t),
          delay: Math.max(0, t.dueAt.getTime() - now),
          removeOnComplete: true,
          removeOnFail: 1_000,
          attempts: TIMER_ATTEMPTS,
          backoff: { type: 'fixed', delay: TIMER_BACKOFF_MS },
        },
      })),
    );
  }

  startWorker(fire: (timer: InboxTimer) => Promise<void>, concurrency = 4): void {
    this.deps.queues.worker<TimerJobData>(INBOX_TIMER_QUEUE, (job: Job<TimerJobData>) => fire(fromData(job.data)), { concurrency });
  }
}
