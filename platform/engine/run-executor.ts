import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../engine/clock.ts';
import type { FlowHttpPort, NodeExecutor } from '../../engine/runs/node-executor.ts';
import { advanceRun } from '../../engine/runs/run-interpreter.ts';
import type { Resume, RunFacts, RunState } from '../../engine/runs/run-types.ts';
import { newId } from '../ids.ts';
import type { Outbox } from '../pipeline/outbox.ts';
import type { AfterCommit } from './after-commit.ts';
import { applyEffects } from './apply-effects.ts';
import type { FlowCache } from './flow-cache.ts';
import { loadRunFacts } from './run-facts.ts';
import { insertRun, insertSteps, saveRunOutcome, type RunRow } from './run-store.ts';

/** How deep "start another flow" may nest within one transaction: a flow starting itself ends. */
const MAX_START_FLOW_DEPTH = 5;

export interface StartRunParams {
  workspaceId: string;
  flowId: string;
  flowVersionId: string;
  triggerNodeId: string;
  contactId: string | null;
  conversationId: string | null;
  channelId: string | null;
  trigger: Record<string, unknown>;
  message: RunFacts['message'];
}

/**
 * Executes runs inside the caller's transaction: the interpreter advances the run, then its
 * steps, their effects (outbox rows included) and the run's new state are written together.
 * Nothing reaches Redis before commit: sends and timers are returned in `after`.
 */
export class RunExecutor {
  constructor(
    private readonly deps: {
      outbox: Outbox;
      flows: Pick<FlowCache<unknown>, 'version' | 'activeVersionOf'>;
      executors: ReadonlyMap<string, NodeExecutor>;
      http: FlowHttpPort;
      clock: Clock;
      random?: () => number;
    },
  ) {}

  /** Creates a run pinned to `flowVersionId` and advances it from its trigger. Returns its id. */
  async start(em: EntityManager, params: StartRunParams, after: AfterCommit, depth = 0): Promise<string> {
    const now = this.deps.clock.now();
    const run: RunRow = {
      id: newId(),
      workspaceId: params.workspaceId,
      flowId: params.flowId,
      flowVersionId: params.flowVersionId,
      contactId: params.contactId,
      conversationId: params.conversationId,
      channelId: params.channelId,
      status: 'running',
      currentNodeId: params.triggerNodeId,
      state: { vars: {}, attempts: {} },
      wait: null,
      stepCount: 0,
      trigger: params.trigger,
    };
    await insertRun(em, { ...run, startedAt: now });
    await this.advance(em, run, params.triggerNodeId, params.message, undefined, after, depth);
    return run.id;
  }

  /** Records a run that a limit kept from starting, so that the reason is visible. */
  async refuse(em: EntityManager, params: StartRunParams, reason: string): Promise<void> {
    await insertRun(em, {
      id: newId(),
      workspaceId: params.workspaceId,
      flowId: params.flowId,
      flowVersionId: params.flowVersionId,
      contactId: params.contactId,
      conversationId: params.conversationId,
      channelId: params.channelId,
      status: 'stopped',
      currentNodeId: null,
      state: { vars: {}, attempts: {} },
      wait: null,
      stepCount: 0,
      trigger: params.trigger,
      stopReason: reason,
      startedAt: this.deps.clock.now(),
    });
  }

  /** Wakes a waiting run (locked by the caller) with a reply or its timeout. */
  async resume(em: EntityManager, run: RunRow, resume: Resume, after: AfterCommit): Promise<void> {
    if (!run.currentNodeId) throw new Error(`run ${run.id} is waiting on no node`);
    const message = resume.kind === 'reply' ? resume.message : null;
    await this.advance(em, run, run.currentNodeId, message, resume, after, 0);
  }

  private async advance(em: EntityManager, run: RunRow, nodeId: string, message: RunFacts['message'], resume: Resume | undefined, after: AfterCommit, depth: number): Promise<void> {
    const flow = await this.deps.flows.version(em, run.flowVersionId);
    const facts = await loadRunFacts(em, run, message, run.trigger);
    const state: RunState = { vars: run.state.vars ?? {}, attempts: run.state.attempts ?? {} };
    const result = await advanceRun({
      flow,
      nodeId,
      state,
      facts,
      stepCount: run.stepCount,
      resume,
      executors: this.deps.executors,
      ports: { now: () => this.deps.clock.now(), random: this.deps.random ?? Math.random, http: this.deps.http },
    });
    const now = this.deps.clock.now();
    const startFlows: string[] = [];
    const steps = [];
    for (const step of result.steps) {
      const effectResults = step.effects.length ? await applyEffects(em, { outbox: this.deps.outbox, now }, run, step.seq, step.effects, { sends: after.sends, startFlows }) : [];
      steps.push({ ...step, id: newId(), output: effectResults.length ? { result: step.output, effects: effectResults } : step.output });
    }
    await insertSteps(em, run.workspaceId, run.id, steps);
    const stepCount = run.stepCount + result.steps.length;
    await saveRunOutcome(em, run.id, result.outcome, result.state, stepCount, now);
    if (result.outcome.status === 'waiting' && result.outcome.wait.dueAt) {
      after.timers.push({ runId: run.id, waitSeq: stepCount, dueAt: new Date(result.outcome.wait.dueAt) });
    }
    for (const flowId of startFlows) {
      if (depth >= MAX_START_FLOW_DEPTH) break;
      const target = await this.deps.flows.activeVersionOf(em, run.workspaceId, flowId);
      if (!target) continue;
      await this.start(em, { workspaceId: run.workspaceId, flowId, flowVersionId: target.versionId, triggerNodeId: target.entryNodeId, contactId: run.contactId, conversationId: run.conversationId, channelId: run.channelId, trigger: { startedBy: run.id }, message }, after, depth + 1);
    }
  }
}
