import type { Redis } from '../redis.ts';
import type { Clock } from '../../engine/clock.ts';
import type { AcceptedInbound } from '../../engine/ports/inbound-message.ts';
import type { FlowHttpPort } from '../../engine/runs/node-executor.ts';
import { NODE_EXECUTORS } from '../../engine/runs/node-executors.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { Outbox } from '../pipeline/outbox.ts';
import type { WorkspaceSecrets } from '../secrets/workspace-secrets.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import type { AfterCommit } from './after-commit.ts';
import type { Inbox } from '../inbox/inbox.ts';
import { ConversationDrain } from './conversation-drain.ts';
import { EngineReconciler } from './engine-reconciler.ts';
import { FlowCache } from './flow-cache.ts';
import { InboundHandler } from './inbound-handler.ts';
import { RunExecutor } from './run-executor.ts';
import { RunTimers } from './run-timers.ts';
import { TriggeredRuns } from './triggered-runs.ts';
import { buildTriggerIndex, type WorkspaceTriggers } from './workspace-triggers.ts';

export interface EngineDeps {
  orm: Orm;
  redis: Redis;
  queues: QueueFactory;
  logger: Logger;
  clock: Clock;
  outbox: Outbox;
  http: FlowHttpPort;
  secrets: WorkspaceSecrets;
  /** Redis key prefix of this installation. */
  prefix: string;
  /** The support inbox: hand_off steps move conversations there, and what they decided is done after commit. */
  inbox: Pick<Inbox, 'handOff' | 'afterCommit'>;
  random?: () => number;
}

/**
 * The flow engine's runtime, assembled: trigger cache, run executor, per-conversation drain,
 * timers and reconciler. Every process builds one (enqueueing needs it); only worker processes
 * start its workers.
 */
export class Engine {
  readonly flows: FlowCache<WorkspaceTriggers>;
  readonly executor: RunExecutor;
  readonly drain: ConversationDrain;
  readonly timers: RunTimers;
  readonly reconciler: EngineReconciler;
  readonly triggered: TriggeredRuns;

  constructor(private readonly deps: EngineDeps) {
    const logger = deps.logger.child({ component: 'engine' });
    this.flows = new FlowCache({
      redis: deps.redis,
      prefix: deps.prefix,
      buildIndex: (flows, workspaceId) => buildTriggerIndex(flows, workspaceId, logger),
    });
    this.executor = new RunExecutor({
      outbox: deps.outbox,
      flows: this.flows,
      executors: NODE_EXECUTORS,
      http: deps.http,
      secrets: deps.secrets,
      clock: deps.clock,
      handOff: deps.inbox,
      ...(deps.random ? { random: deps.random } : {}),
    });
    const handler = new InboundHandler({ executor: this.executor, flows: this.flows, clock: deps.clock });
    const afterCommit = (after: AfterCommit) => this.afterCommit(after);
    this.drain = new ConversationDrain({
      orm: deps.orm,
      queues: deps.queues,
      logger,
      clock: deps.clock,
      handler,
      outbox: deps.outbox,
      afterCommit,
    });
    this.timers = new RunTimers({
      orm: deps.orm,
      queues: deps.queues,
      logger,
      clock: deps.clock,
      executor: this.executor,
      outbox: deps.outbox,
      flows: this.flows,
      drain: this.drain,
      afterCommit,
    });
    this.triggered = new TriggeredRuns({
      orm: deps.orm,
      queues: deps.queues,
      logger,
      flows: this.flows,
      executor: this.executor,
      afterCommit,
    });
    this.reconciler = new EngineReconciler({ orm: deps.orm, queues: deps.queues, logger, drain: this.drain, timers: this.timers });
  }

  /** The inbound pipeline's listener: a new message asks for its conversation to be drained (here, or by a job). */
  readonly onInboundAccepted = async (accepted: AcceptedInbound): Promise<void> => {
    await this.drain.accepted(accepted.conversationId, accepted.messageId);
  };

  /** Tells every process that a workspace's published or active flows changed, and re-syncs its schedules. */
  async flowsChanged(workspaceId: string): Promise<void> {
    await this.flows.invalidate(workspaceId);
    await this.triggered.syncSchedules(workspaceId);
  }

  /** Starts the inbox and timer workers and the reconciler in this process. */
  startWorkers(opts: { reconcileIntervalMs: number; inboxConcurrency?: number }): void {
    this.drain.startWorker(opts.inboxConcurrency);
    this.timers.startWorker();
    this.triggered.startWorker();
    this.reconciler.start(opts.reconcileIntervalMs);
  }

  async stop(): Promise<void> {
    await Promise.all([this.reconciler.stop(), this.drain.stop()]);
  }

  /** After a transaction commits: dispatch its sends, schedule its timers. */
  private async afterCommit(after: AfterCommit): Promise<void> {
    await Promise.all([
      after.sends.length ? this.deps.outbox.dispatch(after.sends) : undefined,
      this.timers.schedule(after.timers),
      hasInboxWork(after) ? this.deps.inbox.afterCommit(after.inbox) : undefined,
    ]);
  }
}

function hasInboxWork(after: AfterCommit): boolean {
  return after.inbox.events.length > 0 || after.inbox.kick.size > 0 || after.inbox.timers.length > 0 || after.inbox.sends.length > 0;
}
