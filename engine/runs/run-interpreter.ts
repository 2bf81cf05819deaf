import type { SecretResolver } from '../ports/secret-resolver.port.ts';
import { nextNode, type CompiledFlow } from './compiled-flow.ts';
import type { FlowHttpPort, NodeExecutor } from './node-executor.ts';
import { factsAfterEffects } from './facts-after-effects.ts';
import { redactSecrets } from './redact.ts';
import { MAX_STEPS_PER_RUN, type AdvanceOutcome, type Resume, type RunFacts, type RunState, type StepRecord } from './run-types.ts';

export interface AdvanceInput {
  flow: CompiledFlow;
  /** The node to execute first: the trigger of a new run, or the node a resumed run waits on. */
  nodeId: string;
  state: RunState;
  facts: RunFacts;
  /** Steps the run has executed so far (for sequence numbers and the step limit). */
  stepCount: number;
  resume?: Resume;
  executors: ReadonlyMap<string, NodeExecutor>;
  ports: { now(): Date; random(): number; http: FlowHttpPort; secrets: SecretResolver };
}

export interface AdvanceResult {
  outcome: AdvanceOutcome;
  state: RunState;
  facts: RunFacts;
  steps: StepRecord[];
}

/** An error thrown by a node executor, recorded on the step. */
function describeError(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : 'step_failed', message: typeof e?.message === 'string' ? e.message : String(err) };
}

/**
 * Advances a run from `nodeId` until it waits, ends, fails or hits the step limit. Pure apart
 * from the injected ports: it returns the steps with their effects, and the caller persists
 * them (and applies the effects) in one transaction.
 */
export async function advanceRun(input: AdvanceInput): Promise<AdvanceResult> {
  let { state, facts } = input;
  let resume = input.resume;
  let nodeId: string = input.nodeId;
  const steps: StepRecord[] = [];
  const finish = (outcome: AdvanceOutcome): AdvanceResult => ({ outcome, state, facts, steps });

  for (;;) {
    if (input.stepCount + steps.length >= MAX_STEPS_PER_RUN) {
      return finish({ status: 'stopped', nodeId, reason: `step_limit: the run executed ${MAX_STEPS_PER_RUN} steps` });
    }
    const node = input.flow.nodes.get(nodeId);
    const executor = node && input.executors.get(node.type);
    const startedAt = input.ports.now();
    if (!node || !executor) {
      const error = {
        code: node ? 'unknown_node_type' : 'missing_node',
        message: node ? `no executor for node type "${node.type}"` : `node "${nodeId}" is not in this flow version`,
      };
      steps.push({
        seq: input.stepCount + steps.length + 1,
        nodeId,
        nodeType: node?.type ?? 'unknown',
        input: null,
        output: null,
        port: null,
        error,
        effects: [],
        startedAt,
        finishedAt: startedAt,
      });
      return finish({ status: 'failed', nodeId, error });
    }
    // Steps are shown in the run history: secrets in a config (an API key header) are not kept.
    // A `{{secrets.NAME}}` stays a template here: its value is read by the executor and scrubbed from what it returns.
    const config = redactedConfig(node.config);
    const stepInput = resume ? { config, resume: redactSecrets(resume, 1) } : { config };
    let result;
    try {
      result = await executor(node.config, {
        nodeId,
        facts,
        state,
        resume,
        now: startedAt,
        random: input.ports.random,
        http: input.ports.http,
        secrets: input.ports.secrets,
        templates: input.flow.templates,
      });
    } catch (err) {
      const error = describeError(err);
      steps.push({
        seq: input.stepCount + steps.length + 1,
        nodeId,
        nodeType: node.type,
        input: stepInput,
        output: null,
        port: null,
        error,
        effects: [],
        startedAt,
        finishedAt: input.ports.now(),
      });
      return finish({ status: 'failed', nodeId, error });
    }
    resume = undefined;
    const effects = result.effects ?? [];
    if (result.state) state = result.state;
    facts = factsAfterEffects(facts, effects);
    steps.push({
      seq: input.stepCount + steps.length + 1,
      nodeId,
      nodeType: node.type,
      input: stepInput,
      output: redactSecrets(result.output ?? null),
      port: result.port ?? null,
      error: null,
      effects,
      startedAt,
      finishedAt: input.ports.now(),
    });

    if (result.stop) return finish({ status: 'stopped', nodeId, reason: result.stop.reason });
    if (result.wait) return finish({ status: 'waiting', nodeId, wait: result.wait });
    if (!result.port) return finish({ status: 'completed', nodeId });
    const next = nextNode(input.flow, nodeId, result.port);
    if (!next) return finish({ status: 'completed', nodeId });
    nodeId = next;
  }
}

/*
 * A node's config redacted, once per config: a flow version is immutable and the flow cache hands
 * out the same node objects for every run, so the copy is shared by the steps of every run of that
 * node (nothing writes to a step's input after it is built). Depth 1: as inside the step's input.
 */
const redactedConfigs = new WeakMap<object, unknown>();

function redactedConfig(config: unknown): unknown {
  if (config === null || typeof config !== 'object') return config;
  let redacted = redactedConfigs.get(config);
  if (redacted === undefined) {
    redacted = redactSecrets(config, 1);
    redactedConfigs.set(config, redacted);
  }
  return redacted;
}
