import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../engine/clock.ts';
import type { SecretResolver } from '../../engine/ports/secret-resolver.port.ts';
import type { FlowHttpPort, NodeExecutor } from '../../engine/runs/node-executor.ts';
import { advanceRun } from '../../engine/runs/run-interpreter.ts';
import type { Resume, RunFacts, RunState } from '../../engine/runs/run-types.ts';
import { newId } from '../ids.ts';
import type { Outbox } from '../pipeline/outbox.ts';
import type { AfterCommit } from './after-commit.ts';
import { applyEffects, type EffectResult, type EffectsContext, type HandOffPort } from './apply-effects.ts';
import type { FlowCache } from './flow-cache.ts';
import { loadRunFacts } from './run-facts.ts';
import { insertRuns, insertSteps, lockContact, saveRunOutcome, type RunRow } from './run-store.ts';
import type { RunWriteBatch } from './run-write-batch.ts';
import { emitEvents } from '../webhooks/webhook-events.ts';
import { runFinishedEvents } from '../webhooks/event-payloads.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';

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
  /** Facts the caller read in this transaction after locking the contact (saves a round trip). */
  facts?: RunFacts;
}

/** What the caller already did in this transaction for the run's contact. */
export interface ContactLockState {
  /** The contact row is locked here and automated messages may reach it. */
  lockedReachable: boolean;
}

/** How the caller runs the advance in its transaction. */
export interface AdvanceOptions {
  /** The caller locked the run's contact in this transaction (the inbound drain does). */
  contact?: ContactLockState;
  /** The new rows wait in this batch, inserted when the caller flushes it before commit (a drain batch). */
  writes?: RunWriteBatch;
}

/** How a run is started: as its caller advances it, and how deep in start_flow steps it is. */
export interface StartOptions extends AdvanceOptions {
  /** How many start_flow steps led to this run in this transaction; only RunExecutor's own start_flow sets it. */
  depth?: number;
}

/** One advance of a run, as start and resume ask for it. */
interface AdvanceRequest extends AdvanceOptions {
  /** Where the interpreter goes on: the trigger of a new run, or the node a run waits on. */
  nodeId: string;
  message: RunFacts['message'];
  /** The reply or timeout that wakes a waiting run; none for a new run. */
  resume?: Resume;
  /** start_flow steps that led to this run (see StartOptions); at MAX_START_FLOW_DEPTH it starts no more flows. */
  depth: number;
  /** Set for a new run, which is inserted with its outcome; an existing run is updated. */
  newRunStartedAt: Date | null;
  /** Facts the caller already read; loaded when absent. */
  facts?: RunFacts;
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
      /** Workspace secrets, read by HTTP request steps in the run's transaction. */
      secrets: { resolverFor(em: EntityManager, workspaceId: string): SecretResolver };
      clock: Clock;
      /** The support inbox, for hand_off steps. */
      handOff: HandOffPort;
      random?: () => number;
    },
  ) {}

  /** Creates a run pinned to `flowVersionId` and advances it from its trigger. Returns its id. */
  async start(em: EntityManager, params: StartRunParams, after: AfterCommit, opts: StartOptions = {}): Promise<string> {
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
    await this.advance(em, run, after, {
      ...opts,
      nodeId: params.triggerNodeId,
      message: params.message,
      depth: opts.depth ?? 0,
      newRunStartedAt: this.deps.clock.now(),
      facts: params.facts,
    });
    return run.id;
  }

  /** Records a run that a limit kept from starting, so that the reason is visible. */
  async refuse(em: EntityManager, params: StartRunParams, reason: string): Promise<void> {
    const now = this.deps.clock.now();
    await insertRuns(em, [
      {
        run: { ...params, id: newId(), startedAt: now },
        outcome: { status: 'stopped', nodeId: null, reason },
        state: { vars: {}, attempts: {} },
        stepCount: 0,
        now,
      },
    ]);
  }

  /** Wakes a waiting run (locked by the caller) with a reply or its timeout. */
  async resume(em: EntityManager, run: RunRow, resume: Resume, after: AfterCommit, opts: AdvanceOptions = {}): Promise<void> {
    if (!run.currentNodeId) throw new InvariantError(`run ${run.id} is waiting on no node`, { runId: run.id });
    // A reply is the run's message from now on; a timeout keeps the one it had (run.state.messageId).
    const message = resume.kind === 'reply' ? resume.message : null;
    await this.advance(em, run, after, { ...opts, nodeId: run.currentNodeId, message, resume, depth: 0, newRunStartedAt: null });
  }

  private async advance(em: EntityManager, run: RunRow, after: AfterCommit, req: AdvanceRequest): Promise<void> {
    const { nodeId, message, resume, depth } = req;
    // The contact is locked before anything else is written (see lockContact for the lock order).
    const contact =
      req.contact ??
      (run.contactId ? { lockedReachable: (await lockContact(em, run.contactId))?.reachable === true } : { lockedReachable: false });
    const flow = await this.deps.flows.version(em, run.flowVersionId);
    // A run woken by its timer has no message of its own: it keeps the one that started or last resumed it.
    const messageId = message ? message.id : (run.state.messageId ?? null);
    const facts = req.facts ?? (await loadRunFacts(em, run, message ?? (messageId ? { id: messageId } : null), run.trigger));
    const state: RunState = { vars: run.state.vars ?? {}, attempts: run.state.attempts ?? {} };
    const result = await advanceRun({
      flow,
      nodeId,
      state,
      facts,
      stepCount: run.stepCount,
      resume,
      executors: this.deps.executors,
      ports: {
        now: () => this.deps.clock.now(),
        random: this.deps.random ?? Math.random,
        http: this.deps.http,
        secrets: this.deps.secrets.resolverFor(em, run.workspaceId),
      },
    });
    const newState: RunState = { vars: result.state.vars, attempts: result.state.attempts, ...(messageId ? { messageId } : {}) };
    const now = this.deps.clock.now();
    const stepCount = run.stepCount + result.steps.length;
    // Written before the effects: the run row is what their outbox rows and steps belong to.
    if (req.newRunStartedAt) {
      const newRun = { run: { ...run, startedAt: req.newRunStartedAt }, outcome: result.outcome, state: newState, stepCount, now };
      if (req.writes) req.writes.runs.push(newRun);
      else await insertRuns(em, [newRun]);
    } else {
      await saveRunOutcome(em, run.id, result.outcome, newState, stepCount, now);
    }
    await emitEvents(em, runFinishedEvents(run, result.outcome, now));
    const effectsCtx: EffectsContext = {
      outbox: this.deps.outbox,
      handOff: this.deps.handOff,
      now,
      inbox: after.inbox,
      ...(req.writes ? { writes: req.writes } : {}),
    };
    // The contact stays locked for the whole advance; a step that changes its consent clears this for the next ones.
    let contactReachable = contact.lockedReachable;
    const startFlows: string[] = [];
    const steps = [];
    for (const step of result.steps) {
      let effectResults: EffectResult[] = [];
      if (step.effects.length) {
        const applied = await applyEffects(em, effectsCtx, { run, seq: step.seq, effects: step.effects, contactReachable });
        after.sends.push(...applied.sends);
        startFlows.push(...applied.startFlows);
        contactReachable = applied.contactReachable;
        effectResults = applied.results;
      }
      steps.push({
        ...step,
        id: newId(),
        workspaceId: run.workspaceId,
        runId: run.id,
        output: effectResults.length ? { result: step.output, effects: effectResults } : step.output,
      });
    }
    if (req.writes) req.writes.steps.push(...steps);
    else await insertSteps(em, steps);
    if (result.outcome.status === 'waiting' && result.outcome.wait.dueAt) {
      after.timers.push({ runId: run.id, waitSeq: stepCount, dueAt: new Date(result.outcome.wait.dueAt) });
    }
    for (const flowId of startFlows) {
      if (depth >= MAX_START_FLOW_DEPTH) break;
      const target = await this.deps.flows.activeVersionOf(em, run.workspaceId, flowId);
      if (!target) continue;
      const params = {
        workspaceId: run.workspaceId,
        flowId,
        flowVersionId: target.versionId,
        triggerNodeId: target.entryNodeId,
        contactId: run.contactId,
        conversationId: run.conversationId,
        channelId: run.channelId,
        trigger: { startedBy: run.id },
        message: facts.message,
      };
      // The contact stays locked; its consent may have changed in this advance (contactReachable says).
      await this.start(em, params, after, {
        contact: { lockedReachable: contactReachable },
        ...(req.writes ? { writes: req.writes } : {}),
        depth: depth + 1,
      });
    }
  }
}
