import { describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../flows/flow-document.fixture.ts';
import { FlowSchema } from '../flows/flow.schema.ts';
import { compileFlow, type CompiledFlow } from './compiled-flow.ts';
import type { NodeExecutor } from './node-executor.ts';
import { NODE_EXECUTORS } from './node-executors.ts';
import { REDACTED } from './redact.ts';
import { advanceRun, type AdvanceInput } from './run-interpreter.ts';
import { FakeClock, noHttp, noSecrets, runFacts, emptyState } from './run-context.fixture.ts';
import { MAX_STEPS_PER_RUN, type Resume } from './run-types.ts';

/** A published version, parsed as the runtime parses it (config defaults filled). */
function version(versionId: string, nodes: unknown[], edges: unknown[]): CompiledFlow {
  return compileFlow(versionId, FlowSchema.parse(doc(nodes, edges)));
}

/** The interpreter's input with fake ports: a clock that moves 7 ms each time it is read, random 0. */
function input(flow: CompiledFlow, overrides: Partial<AdvanceInput> = {}): AdvanceInput {
  const clock = new FakeClock();
  const now = () => {
    const at = clock.now();
    clock.tick(7);
    return at;
  };
  return {
    flow,
    nodeId: 't',
    state: emptyState(),
    facts: runFacts(),
    stepCount: 0,
    executors: NODE_EXECUTORS,
    ports: { now, random: () => 0, http: noHttp, secrets: noSecrets },
    ...overrides,
  };
}

const reply = (text: string): Resume => ({ kind: 'reply', message: { id: 'reply-1', text, type: 'text' } });

describe('when a run goes through its steps without waiting', () => {
  const flow = version(
    'v1',
    [
      keywordTrigger('t', ['hi']),
      node('tag', 'add_tag', { tag: 'lead' }),
      node('attr', 'set_contact_attribute', { key: 'plan', value: 'gold' }),
      node('check', 'condition', {
        rule: { and: [{ '==': [{ var: 'contact.plan' }, 'gold'] }, { in: ['lead', { var: 'contact.tags' }] }] },
      }),
      node('yes', 'send_message', { text: 'Welcome, {{contact.plan}} member {{contact.name}}' }),
      node('no', 'send_message', { text: 'no' }),
    ],
    [
      edge('t', 'out', 'tag'),
      edge('tag', 'out', 'attr'),
      edge('attr', 'out', 'check'),
      edge('check', 'true', 'yes'),
      edge('check', 'false', 'no'),
    ],
  );

  it('executes each node once, in order, and completes where no port leads further', async () => {
    const result = await advanceRun(input(flow));
    expect(result.outcome).toEqual({ status: 'completed', nodeId: 'yes' });
    expect(result.steps.map((s) => [s.seq, s.nodeId, s.nodeType, s.port])).toEqual([
      [1, 't', 'message_received', 'out'],
      [2, 'tag', 'add_tag', 'out'],
      [3, 'attr', 'set_contact_attribute', 'out'],
      [4, 'check', 'condition', 'true'],
      [5, 'yes', 'send_message', 'out'],
    ]);
  });

  it('lets later steps see the effects of earlier ones on the contact, without touching the facts it was given', async () => {
    const given = runFacts();
    const result = await advanceRun(input(flow, { facts: given }));
    expect(result.steps[4]!.effects).toEqual([{ kind: 'send', text: 'Welcome, gold member Sam' }]);
    expect(result.facts.contact).toMatchObject({ attributes: { plan: 'gold' }, tags: ['vip', 'lead'] });
    expect(given.contact).toMatchObject({ attributes: { plan: 'pro' }, tags: ['vip'] });
  });

  it('numbers the steps after those the run executed before, and times them with the injected clock', async () => {
    const result = await advanceRun(input(flow, { stepCount: 40 }));
    expect(result.steps.map((s) => s.seq)).toEqual([41, 42, 43, 44, 45]);
    const first = result.steps[0]!;
    expect(first.startedAt.toISOString()).toBe('2025-01-15T10:00:00.000Z');
    expect(first.finishedAt.getTime() - first.startedAt.getTime()).toBe(7);
    expect(result.steps[1]!.startedAt.getTime()).toBe(first.finishedAt.getTime() + 7);
  });
});

describe('when a run loops', () => {
  const loop = version(
    'v1',
    [keywordTrigger('t', ['hi']), node('again', 'add_tag', { tag: 'x' })],
    [edge('t', 'out', 'again'), edge('again', 'out', 'again')],
  );

  it(`stops at ${MAX_STEPS_PER_RUN} steps with a step_limit reason naming the node it would have run`, async () => {
    const result = await advanceRun(input(loop));
    expect(result.steps).toHaveLength(MAX_STEPS_PER_RUN);
    expect(result.outcome).toEqual({
      status: 'stopped',
      nodeId: 'again',
      reason: `step_limit: the run executed ${MAX_STEPS_PER_RUN} steps`,
    });
  });

  it('counts the steps of earlier advances toward the limit', async () => {
    const result = await advanceRun(input(loop, { nodeId: 'again', stepCount: MAX_STEPS_PER_RUN - 3 }));
    expect(result.steps.map((s) => s.seq)).toEqual([MAX_STEPS_PER_RUN - 2, MAX_STEPS_PER_RUN - 1, MAX_STEPS_PER_RUN]);
    expect(result.outcome.status).toBe('stopped');
  });

  it('executes nothing when the run is already at the limit', async () => {
    const result = await advanceRun(input(loop, { nodeId: 'again', stepCount: MAX_STEPS_PER_RUN }));
    expect(result.steps).toEqual([]);
    expect(result.outcome).toMatchObject({ status: 'stopped', nodeId: 'again' });
  });
});

describe('when the node to run is not in the flow version', () => {
  const flow = version('v1', [keywordTrigger('t', ['hi'])], []);

  it('fails the run with missing_node, recording a step that says so', async () => {
    const result = await advanceRun(input(flow, { nodeId: 'gone' }));
    const error = { code: 'missing_node', message: 'node "gone" is not in this flow version' };
    expect(result.outcome).toEqual({ status: 'failed', nodeId: 'gone', error });
    expect(result.steps).toEqual([
      expect.objectContaining({ seq: 1, nodeId: 'gone', nodeType: 'unknown', error, effects: [], port: null }),
    ]);
  });

  it('fails the run with unknown_node_type when no executor knows the node', async () => {
    const executors = new Map([...NODE_EXECUTORS].filter(([type]) => type !== 'message_received'));
    const result = await advanceRun(input(flow, { executors }));
    expect(result.outcome).toEqual({
      status: 'failed',
      nodeId: 't',
      error: { code: 'unknown_node_type', message: 'no executor for node type "message_received"' },
    });
    expect(result.steps[0]).toMatchObject({ nodeType: 'message_received', input: null });
  });
});

describe('when a node executor throws', () => {
  const flow = compileFlow('v1', { nodes: [{ id: 't', type: 'boom', config: { note: 'x' } }], edges: [] });

  it('fails the run with the error code and message, on a step that keeps its input', async () => {
    const boom: NodeExecutor = () => {
      throw Object.assign(new Error('the service said no'), { code: 'service_refused' });
    };
    const result = await advanceRun(input(flow, { executors: new Map([['boom', boom]]) }));
    expect(result.outcome).toEqual({ status: 'failed', nodeId: 't', error: { code: 'service_refused', message: 'the service said no' } });
    expect(result.steps[0]).toMatchObject({ input: { config: { note: 'x' } }, output: null, error: { code: 'service_refused' } });
  });

  it('records step_failed for a thrown value without a code', async () => {
    const result = await advanceRun(
      input(flow, { executors: new Map<string, NodeExecutor>([['boom', () => Promise.reject('plain text')]]) }),
    );
    expect(result.outcome).toMatchObject({ error: { code: 'step_failed', message: 'plain text' } });
  });
});

describe('when a node waits', () => {
  const flow = version(
    'v1',
    [
      keywordTrigger('t', ['hi']),
      node('ask', 'wait_for_reply', { timeout: { amount: 1, unit: 'hours' }, saveReplyAs: 'answer' }),
      node('thanks', 'send_message', { text: 'Thanks for "{{vars.answer}}"' }),
      node('late', 'send_message', { text: 'Too late' }),
    ],
    [edge('t', 'out', 'ask'), edge('ask', 'reply', 'thanks'), edge('ask', 'timeout', 'late')],
  );

  it('stops advancing on that node with its wait, due from the instant its step started', async () => {
    const result = await advanceRun(input(flow));
    // The clock read 10:00:00.000 and .007 for the trigger's step; the wait's step started at .014.
    expect(result.outcome).toEqual({ status: 'waiting', nodeId: 'ask', wait: { kind: 'reply', dueAt: '2025-01-15T11:00:00.014Z' } });
    expect(result.steps.map((s) => s.nodeId)).toEqual(['t', 'ask']);
  });

  it('resumes on that node with the reply, which only that node sees, and records it on the step', async () => {
    const seen: unknown[] = [];
    const spy =
      (type: string): NodeExecutor =>
      (config, ctx) => (seen.push([type, ctx.resume?.kind ?? null]), NODE_EXECUTORS.get(type)!(config, ctx));
    const executors = new Map([...NODE_EXECUTORS].map(([type]) => [type, spy(type)]));
    const result = await advanceRun(input(flow, { nodeId: 'ask', stepCount: 2, resume: reply('blue'), executors }));
    expect(seen).toEqual([
      ['wait_for_reply', 'reply'],
      ['send_message', null],
    ]);
    expect(result.outcome).toEqual({ status: 'completed', nodeId: 'thanks' });
    expect(result.state.vars).toEqual({ answer: 'blue' });
    expect(result.steps[0]!.input).toEqual({
      config: { timeout: { amount: 1, unit: 'hours' }, saveReplyAs: 'answer' },
      resume: reply('blue'),
    });
    expect(result.steps[1]!.effects).toEqual([{ kind: 'send', text: 'Thanks for "blue"' }]);
  });

  it('follows the timeout port when woken by its timer', async () => {
    const result = await advanceRun(input(flow, { nodeId: 'ask', stepCount: 2, resume: { kind: 'timeout' } }));
    expect(result.steps.map((s) => [s.nodeId, s.port])).toEqual([
      ['ask', 'timeout'],
      ['late', 'out'],
    ]);
  });
});

describe('when a run is pinned to a flow version', () => {
  // Version 2 reworded the reply and removed the node the run waits on in version 1.
  const v1 = version(
    'v1',
    [keywordTrigger('t', ['hi']), node('wait', 'wait_for_reply', {}), node('send', 'send_message', { text: 'old reply' })],
    [edge('t', 'out', 'wait'), edge('wait', 'reply', 'send')],
  );
  const v2 = version('v2', [keywordTrigger('t', ['hi']), node('send', 'send_message', { text: 'new reply' })], [edge('t', 'out', 'send')]);

  it('follows the nodes and edges of the version it is given, whatever was published since', async () => {
    const result = await advanceRun(input(v1, { nodeId: 'wait', stepCount: 2, resume: reply('ok') }));
    expect(result.outcome).toEqual({ status: 'completed', nodeId: 'send' });
    expect(result.steps.at(-1)!.effects).toEqual([{ kind: 'send', text: 'old reply' }]);
  });

  it('reads nothing of another version: the same node id fails as missing there', async () => {
    const result = await advanceRun(input(v2, { nodeId: 'wait', stepCount: 2, resume: reply('ok') }));
    expect(result.outcome).toMatchObject({ status: 'failed', error: { code: 'missing_node' } });
  });
});

describe('when a node ends the run itself', () => {
  it('stops the run with the reason the executor gives', async () => {
    const flow = compileFlow('v1', {
      nodes: [
        { id: 't', type: 'limit', config: {} },
        { id: 'n', type: 'limit', config: {} },
      ],
      edges: [{ source: 't', sourceHandle: 'out', target: 'n' }],
    });
    const limit: NodeExecutor = () => ({ port: 'out', stop: { reason: 'run_limit: too many runs' } });
    const result = await advanceRun(input(flow, { executors: new Map([['limit', limit]]) }));
    expect(result.outcome).toEqual({ status: 'stopped', nodeId: 't', reason: 'run_limit: too many runs' });
    expect(result.steps).toHaveLength(1);
  });

  it('completes on a node that leaves by a port with no edge', async () => {
    const flow = version('v1', [keywordTrigger('t', ['hi'])], []);
    const result = await advanceRun(input(flow));
    expect(result.outcome).toEqual({ status: 'completed', nodeId: 't' });
  });
});

describe('when a step input or output holds a secret', () => {
  it('records the step with the secret values redacted, while the executor saw them', async () => {
    const flow = compileFlow('v1', {
      nodes: [{ id: 't', type: 'probe', config: { headers: [{ name: 'Authorization', value: 'Bearer abc' }], apiKey: 'k-123' } }],
      edges: [],
    });
    let seenConfig: unknown;
    const probe: NodeExecutor = (config) => ((seenConfig = config), { port: null, output: { token: 'tok-1', ok: true } });
    const result = await advanceRun(input(flow, { executors: new Map([['probe', probe]]) }));
    expect(seenConfig).toEqual({ headers: [{ name: 'Authorization', value: 'Bearer abc' }], apiKey: 'k-123' });
    expect(result.steps[0]!.input).toEqual({ config: { headers: [{ name: 'Authorization', value: REDACTED }], apiKey: REDACTED } });
    expect(result.steps[0]!.output).toEqual({ token: REDACTED, ok: true });
  });

  it('redacts a node config once and records the same redacted config on the steps of every later run, resume kept apart', async () => {
    const flow = compileFlow('v1', {
      nodes: [{ id: 't', type: 'probe', config: { password: 'p-1', nested: { secret: 's', keep: 1 } } }],
      edges: [],
    });
    const probe: NodeExecutor = () => ({ port: null, output: null });
    const executors = new Map([['probe', probe]]);
    const first = await advanceRun(input(flow, { executors }));
    const second = await advanceRun(input(flow, { executors, resume: reply('my token is x') }));
    const redacted = { password: REDACTED, nested: { secret: REDACTED, keep: 1 } };
    expect(first.steps[0]!.input).toEqual({ config: redacted });
    expect(second.steps[0]!.input).toEqual({ config: redacted, resume: reply('my token is x') });
    expect((second.steps[0]!.input as { config: unknown }).config).toBe((first.steps[0]!.input as { config: unknown }).config);
    expect(flow.nodes.get('t')?.config).toEqual({ password: 'p-1', nested: { secret: 's', keep: 1 } });
  });
});
