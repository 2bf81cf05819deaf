import { describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node, replyFlow } from './flow-document.fixture.ts';
import { FLOW_PROBLEM_CODES, type FlowProblem, type FlowProblemCode } from './flow-problem.ts';
import { MAX_FLOW_NODES } from './flow.schema.ts';
import { validateFlow } from './validate-flow.ts';

function problemsOf(input: unknown): FlowProblem[] {
  const result = validateFlow(input);
  if (result.ok) throw new Error('expected the flow to be refused');
  return result.problems;
}

function codes(input: unknown): FlowProblemCode[] {
  return problemsOf(input).map((p) => p.code);
}

const seenCodes = new Set<FlowProblemCode>();
function expectProblem(input: unknown, expected: Partial<FlowProblem> & { code: FlowProblemCode }): FlowProblem {
  const problems = problemsOf(input);
  const found = problems.find((p) => p.code === expected.code);
  expect(found, `${expected.code} in ${JSON.stringify(problems)}`).toMatchObject(expected);
  seenCodes.add(expected.code);
  return found as FlowProblem;
}

describe('when the flow is valid', () => {
  it('returns the parsed flow with config defaults filled in', () => {
    const result = validateFlow(replyFlow());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const trigger = result.flow.nodes[0];
    expect(trigger?.type).toBe('message_received');
    if (trigger?.type !== 'message_received') return;
    expect(trigger.config.channels).toBe('all');
    expect(trigger.config.firstMessageOnly).toBe(false);
    expect(trigger.config.match).toEqual({ kind: 'keyword', mode: 'exact', keywords: ['hi'], caseInsensitive: true });
  });

  it('accepts a loop that goes through a wait for reply', () => {
    const flow = doc(
      [
        keywordTrigger('t', ['menu']),
        node('ask', 'send_message', { text: 'Reply 1 or 2' }),
        node('wait', 'wait_for_reply'),
        node('check', 'condition', { rule: { '==': [{ var: 'message.text' }, '1'] } }),
        node('done', 'end'),
      ],
      [
        edge('t', 'out', 'ask'),
        edge('ask', 'out', 'wait'),
        edge('wait', 'reply', 'check'),
        edge('wait', 'timeout', 'done'),
        edge('check', 'true', 'done'),
        edge('check', 'false', 'ask'),
      ],
    );
    expect(validateFlow(flow)).toMatchObject({ ok: true });
  });
});

describe('when the document itself is malformed', () => {
  it('reports invalid_document for a wrong schema version or a missing list', () => {
    expectProblem({ schemaVersion: 2, nodes: [], edges: [] }, { code: 'invalid_document', path: ['schemaVersion'] });
    expect(codes({ schemaVersion: 1, nodes: [] })).toEqual(['invalid_document']);
    expect(codes('not a flow')).toEqual(['invalid_document']);
  });

  it('reports invalid_document for more than the maximum number of nodes', () => {
    const nodes = Array.from({ length: MAX_FLOW_NODES + 1 }, (_, i) => node(`n${i}`, 'end'));
    expect(codes(doc(nodes))).toEqual(['invalid_document']);
  });

  it('reports a node with an unsafe id with its path, and keeps checking the rest', () => {
    const problems = problemsOf(doc([node('bad id!', 'end'), keywordTrigger('t', ['hi']), node('x', 'nope')]));
    expect(problems).toContainEqual(expect.objectContaining({ code: 'invalid_document', nodeId: 'bad id!', path: ['nodes', 0, 'id'] }));
    expect(problems).toContainEqual(expect.objectContaining({ code: 'unknown_node_type', nodeId: 'x' }));
  });

  it('reports a node id that would reach a prototype', () => {
    expectProblem(doc([node('__proto__', 'end')]), { code: 'invalid_document', path: ['nodes', 0, 'id'] });
  });

  it('reports a document that cannot be JSON', () => {
    const cyclic: Record<string, unknown> = { schemaVersion: 1, nodes: [], edges: [] };
    cyclic.self = cyclic;
    expect(codes(cyclic)).toEqual(['invalid_document']);
  });
});

describe('when nodes are wrong', () => {
  it('reports invalid_config with the path inside the config', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('http', 'http_request', { url: 'https://api.example.com', timeoutMs: 60_000 })],
      [edge('t', 'out', 'http')],
    );
    expectProblem(flow, { code: 'invalid_config', nodeId: 'http', path: ['nodes', 1, 'config', 'timeoutMs'] });
  });

  it('reports unknown_node_type', () => {
    expectProblem(doc([keywordTrigger('t', ['hi']), node('x', 'teleport')], [edge('t', 'out', 'x')]), {
      code: 'unknown_node_type',
      nodeId: 'x',
      path: ['nodes', 1, 'type'],
    });
  });

  it('reports no_trigger when no node starts the flow', () => {
    expectProblem(doc([node('send', 'send_message', { text: 'hi' })]), { code: 'no_trigger' });
  });

  it('reports duplicate_id for two nodes and for two edges with the same id', () => {
    expectProblem(doc([keywordTrigger('t', ['hi']), keywordTrigger('t', ['hello'])]), {
      code: 'duplicate_id',
      nodeId: 't',
      path: ['nodes', 1, 'id'],
    });
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('a', 'end'), node('b', 'end')],
      [edge('t', 'out', 'a', 'e1'), edge('t', 'out', 'b', 'e1')],
    );
    expectProblem(flow, { code: 'duplicate_id', edgeId: 'e1', path: ['edges', 1, 'id'] });
  });

  it('reports unreachable_node for a node no trigger leads to', () => {
    expectProblem(doc([keywordTrigger('t', ['hi']), node('lost', 'end')]), { code: 'unreachable_node', nodeId: 'lost' });
  });
});

describe('when edges are wrong', () => {
  it('reports edge_missing_node for a source or target that does not exist', () => {
    const flow = doc([keywordTrigger('t', ['hi'])], [edge('t', 'out', 'ghost', 'e1'), edge('phantom', 'out', 't', 'e2')]);
    const problems = problemsOf(flow).filter((p) => p.code === 'edge_missing_node');
    expect(problems.map((p) => [p.edgeId, p.path])).toEqual([
      ['e1', ['edges', 0, 'target']],
      ['e2', ['edges', 1, 'source']],
    ]);
    seenCodes.add('edge_missing_node');
  });

  it('reports edge_wrong_port for a handle the source does not have', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('c', 'condition', { rule: true }), node('e', 'end')],
      [edge('t', 'out', 'c'), edge('c', 'maybe', 'e', 'bad')],
    );
    const problem = expectProblem(flow, { code: 'edge_wrong_port', edgeId: 'bad', nodeId: 'c' });
    expect(problem.message).toBe('"Condition" has no output "maybe" (its outputs: "true", "false")');
  });

  it('reports edge_wrong_port for an edge into a trigger', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('s', 'send_message', { text: 'x' })],
      [edge('t', 'out', 's'), edge('s', 'out', 't', 'back')],
    );
    expectProblem(flow, { code: 'edge_wrong_port', edgeId: 'back', nodeId: 't', path: ['edges', 1, 'target'] });
  });

  it('derives ports from config: a switch case id is a port, an ask question without timeout has no timeout port', () => {
    const flow = doc(
      [
        keywordTrigger('t', ['hi']),
        node('sw', 'switch', { cases: [{ id: 'sales', label: 'Sales', rule: true }] }),
        node('ask', 'ask_question', { prompt: 'Email?', validation: { kind: 'email' }, storeAs: { target: 'variable', name: 'email' } }),
        node('e', 'end'),
      ],
      [edge('t', 'out', 'sw'), edge('sw', 'sales', 'ask'), edge('sw', 'default', 'e'), edge('ask', 'timeout', 'e', 'to')],
    );
    expect(problemsOf(flow)).toEqual([expect.objectContaining({ code: 'edge_wrong_port', edgeId: 'to' })]);
  });

  it('reports edge_port_taken for a second edge out of the same port', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('a', 'end'), node('b', 'end')],
      [edge('t', 'out', 'a', 'e1'), edge('t', 'out', 'b', 'e2')],
    );
    expectProblem(flow, { code: 'edge_port_taken', edgeId: 'e2', nodeId: 't' });
  });
});

describe('when the graph loops', () => {
  it('reports cycle_without_wait for a loop of instant steps', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('a', 'add_tag', { tag: 'x' }), node('b', 'remove_tag', { tag: 'x' })],
      [edge('t', 'out', 'a'), edge('a', 'out', 'b'), edge('b', 'out', 'a')],
    );
    const problem = expectProblem(flow, { code: 'cycle_without_wait', nodeId: 'a' });
    expect(problem.message).toContain('"Add tag", "Remove tag"');
  });

  it('reports a node that loops onto itself', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('c', 'condition', { rule: true }), node('e', 'end')],
      [edge('t', 'out', 'c'), edge('c', 'true', 'c'), edge('c', 'false', 'e')],
    );
    expectProblem(flow, { code: 'cycle_without_wait', nodeId: 'c' });
  });

  it('finds the loop without a wait even when another loop through the same node has one', () => {
    // c -true-> d -out-> c has no wait; c -false-> w -reply-> c has one.
    const flow = doc(
      [
        keywordTrigger('t', ['hi']),
        node('c', 'condition', { rule: true }),
        node('d', 'add_tag', { tag: 'x' }),
        node('w', 'wait_for_reply'),
      ],
      [edge('t', 'out', 'c'), edge('c', 'true', 'd'), edge('d', 'out', 'c'), edge('c', 'false', 'w'), edge('w', 'reply', 'c')],
    );
    expect(codes(flow)).toEqual(['cycle_without_wait']);
  });
});

describe('when expressions inside configs are unsafe', () => {
  it('reports jsonlogic_operator_not_allowed with the path to the operator', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('c', 'condition', { rule: { and: [true, { log: 'x' }] } })],
      [edge('t', 'out', 'c')],
    );
    expectProblem(flow, { code: 'jsonlogic_operator_not_allowed', nodeId: 'c', path: ['nodes', 1, 'config', 'rule', 'and', 1, 'log'] });
  });

  it('reports jsonlogic_forbidden_path for a var through __proto__', () => {
    const flow = doc([node('t', 'message_received', { condition: { '==': [{ var: 'contact.__proto__.admin' }, true] } })]);
    expectProblem(flow, { code: 'jsonlogic_forbidden_path', nodeId: 't', path: ['nodes', 0, 'config', 'condition', '==', 0, 'var'] });
  });

  it('reports jsonlogic_invalid for an object with two operators', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('c', 'condition', { rule: { '==': [1, 1], '!=': [1, 2] } })],
      [edge('t', 'out', 'c')],
    );
    expectProblem(flow, { code: 'jsonlogic_invalid', nodeId: 'c' });
  });

  it('reports regex_too_long, regex_invalid, regex_unsupported and regex_unsafe on message triggers', () => {
    const trigger = (id: string, pattern: string) => node(id, 'message_received', { match: { kind: 'regex', pattern } });
    const flow = doc([
      trigger('long', 'a'.repeat(201)),
      trigger('broken', '(unclosed'),
      trigger('lookahead', 'price(?= now)'),
      trigger('huge', '\\p{L}{1000}z'),
      trigger('nested', '^(a+)+$'),
    ]);
    expectProblem(flow, { code: 'regex_too_long', nodeId: 'long', path: ['nodes', 0, 'config', 'match', 'pattern'] });
    expectProblem(flow, { code: 'regex_invalid', nodeId: 'broken' });
    expectProblem(flow, { code: 'regex_unsupported', nodeId: 'lookahead', path: ['nodes', 2, 'config', 'match', 'pattern'] });
    expectProblem(flow, { code: 'regex_unsafe', nodeId: 'huge' });
    // Nested repetition only hurt a backtracking engine; RE2 runs it in linear time.
    expect(problemsOf(flow).filter((p) => p.nodeId === 'nested')).toEqual([]);
  });

  // Regression: each pattern was checked alone, so one flow could hold hundreds of costly
  // patterns that were all tried on every message (200 copies of `a.{290}$` held the event loop
  // for 27 s), and validating 1,000 refused ones took 1.2 s.
  it('reports regex_unsafe once the regex triggers of the flow together pass the budget, without compiling the rest', () => {
    const trigger = (id: string, pattern: string) => node(id, 'message_received', { match: { kind: 'regex', pattern } });
    const costly = Array.from({ length: 4 }, (_, i) => trigger(`costly${i}`, 'a.{290}$'));
    const flow = doc([...costly, trigger('broken', '(unclosed')]);
    const regexProblems = problemsOf(flow).filter((p) => p.code.startsWith('regex_'));
    expect(regexProblems.filter((p) => p.nodeId?.startsWith('costly'))).toEqual([
      expect.objectContaining({ code: 'regex_unsafe', nodeId: 'costly3', message: expect.stringContaining('together are too big') }),
    ]);
    // Past the budget a pattern is not compiled: the broken one is reported as over it, not as broken.
    expect(regexProblems.filter((p) => p.nodeId === 'broken').map((p) => p.message)).toEqual([
      expect.stringContaining('together are too big'),
    ]);
  });

  it('reports template_invalid for a placeholder that does not parse', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('s', 'send_message', { text: 'Hi {{contact.name | there}}' })],
      [edge('t', 'out', 's')],
    );
    expectProblem(flow, { code: 'template_invalid', nodeId: 's', path: ['nodes', 1, 'config', 'text'] });
  });

  it('reports template_invalid inside an HTTP request body', () => {
    const flow = doc(
      [
        keywordTrigger('t', ['hi']),
        node('h', 'http_request', { method: 'POST', url: 'https://x.example', body: { user: { id: '{{contact.constructor}}' } } }),
      ],
      [edge('t', 'out', 'h')],
    );
    expectProblem(flow, { code: 'template_invalid', nodeId: 'h', path: ['nodes', 1, 'config', 'body', 'user', 'id'] });
  });
});

describe('when a flow names secrets', () => {
  const httpFlow = (config: Record<string, unknown>) =>
    doc([keywordTrigger('t', ['hi']), node('h', 'http_request', config)], [edge('t', 'out', 'h')]);
  const withBearer = httpFlow({
    url: 'https://api.example.com/charge',
    headers: [{ name: 'Authorization', value: 'Bearer {{secrets.STRIPE_KEY}}' }],
  });

  it('accepts {{secrets.NAME}} in an HTTP request URL, header and body', () => {
    const flow = httpFlow({
      method: 'POST',
      url: 'https://api.example.com/x?key={{secrets.KEY_A}}',
      headers: [{ name: 'Authorization', value: 'Bearer {{secrets.KEY_B}}' }],
      body: { token: '{{secrets.KEY_C}}' },
    });
    expect(validateFlow(flow, { secretNames: new Set(['KEY_A', 'KEY_B', 'KEY_C']) })).toMatchObject({ ok: true, warnings: [] });
  });

  it('refuses a secret in a message text with secret_not_allowed on the node', () => {
    const flow = doc(
      [keywordTrigger('t', ['hi']), node('s', 'send_message', { text: 'Your key: {{secrets.STRIPE_KEY}}' })],
      [edge('t', 'out', 's')],
    );
    const problem = expectProblem(flow, { code: 'secret_not_allowed', nodeId: 's', path: ['nodes', 1, 'config', 'text'] });
    expect(problem.message).toContain("only be used in an HTTP request's URL, headers and body");
  });

  it('refuses a secret in a contact attribute value and in a media URL', () => {
    const flow = doc(
      [
        keywordTrigger('t', ['hi']),
        node('a', 'set_contact_attribute', { key: 'k', value: '{{secrets.X_KEY}}' }),
        node('s', 'send_message', { text: 'hi', mediaUrl: 'https://m.example/{{secrets.X_KEY}}' }),
      ],
      [edge('t', 'out', 'a'), edge('a', 'out', 's')],
    );
    expect(
      problemsOf(flow)
        .filter((p) => p.code === 'secret_not_allowed')
        .map((p) => p.nodeId),
    ).toEqual(['a', 's']);
  });

  it('refuses a default on a secret placeholder', () => {
    expectProblem(httpFlow({ url: 'https://api.example.com/{{secrets.KEY | "fallback"}}' }), { code: 'template_invalid', nodeId: 'h' });
  });

  it('reports secret_unknown for a name the workspace does not have, when the names are given', () => {
    const result = validateFlow(withBearer, { secretNames: new Set(['OTHER']) });
    expect(result.ok).toBe(false);
    const problem = !result.ok ? result.problems.find((p) => p.code === 'secret_unknown') : undefined;
    expect(problem).toMatchObject({ nodeId: 'h', path: ['nodes', 1, 'config', 'headers', 0, 'value'] });
    expect(problem?.message).toContain('"STRIPE_KEY" does not exist');
    seenCodes.add('secret_unknown');
  });

  it('does not check names when validating away from a workspace', () => {
    expect(validateFlow(withBearer).ok).toBe(true);
  });
});

describe('when a send_message node sends a saved template', () => {
  const TEMPLATE_ID = '0196f0b2-8a4c-7d3e-9f10-2b3c4d5e6f70';
  const templateFlow = () =>
    doc(
      [keywordTrigger('t', ['hi']), { ...node('s', 'send_message', { templateId: TEMPLATE_ID }), label: 'Welcome' }],
      [edge('t', 'out', 's')],
    );

  it('reports template_missing named by the node label when the workspace has no such template', () => {
    const result = validateFlow(templateFlow(), { templateIds: new Set() });
    const problem = !result.ok ? result.problems.find((p) => p.code === 'template_missing') : undefined;
    expect(problem).toMatchObject({ nodeId: 's', path: ['nodes', 1, 'config', 'templateId'] });
    expect(problem?.message).toBe(
      '"Welcome" sends a saved template that no longer exists: pick another template, or write the message in the node',
    );
    seenCodes.add('template_missing');
  });

  it('accepts the node when the template exists, with no text of its own', () => {
    expect(validateFlow(templateFlow(), { templateIds: new Set([TEMPLATE_ID]) }).ok).toBe(true);
  });

  it('does not check template ids when validating away from a workspace', () => {
    expect(validateFlow(templateFlow()).ok).toBe(true);
  });
});

describe('when a credential is typed into an HTTP request in plain text', () => {
  const httpFlow = (config: Record<string, unknown>) =>
    doc([keywordTrigger('t', ['hi']), node('h', 'http_request', config)], [edge('t', 'out', 'h')]);

  it.each([
    [
      'an Authorization header',
      { url: 'https://api.example.com', headers: [{ name: 'Authorization', value: 'Bearer abc123def456' }] },
      ['headers', 0, 'value'],
    ],
    [
      'a Stripe live key in any header',
      { url: 'https://api.example.com', headers: [{ name: 'X-Custom', value: 'sk_live_51HxYzAbCdEf' }] },
      ['headers', 0, 'value'],
    ],
    [
      'an X-Api-Key header',
      { url: 'https://api.example.com', headers: [{ name: 'X-Api-Key', value: 'a1b2c3d4e5f6' }] },
      ['headers', 0, 'value'],
    ],
    ['an api_key parameter in the URL', { url: 'https://api.example.com/v1?api_key=abcdef123456' }, ['url']],
    [
      'a long random token in the body',
      { method: 'POST', url: 'https://api.example.com', body: { auth: 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVc' } },
      ['body', 'auth'],
    ],
  ])('warns about %s but still lets the flow publish', (_name, config, path) => {
    const result = validateFlow(httpFlow(config));
    expect(result.ok).toBe(true);
    const warnings = result.ok ? result.warnings : [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      code: 'credential_in_plain_text',
      severity: 'warning',
      nodeId: 'h',
      path: ['nodes', 1, 'config', ...path],
    });
    expect(warnings[0]!.message).toContain('{{secrets.NAME}}');
    seenCodes.add('credential_in_plain_text');
  });

  it.each([
    [
      'a secret in the Authorization header',
      { url: 'https://api.example.com', headers: [{ name: 'Authorization', value: 'Bearer {{secrets.API_TOKEN}}' }] },
    ],
    [
      'ordinary headers, ids and paths',
      {
        url: 'https://api.example.com/customers/0196f0b2-8a4c-7d3e-9f10-2b3c4d5e6f70?phone={{contact.phone}}',
        headers: [
          { name: 'Accept', value: 'application/json' },
          { name: 'X-Request-Source', value: 'onemessage-flow' },
        ],
      },
    ],
  ])('does not warn about %s', (_name, config) => {
    expect(validateFlow(httpFlow(config))).toMatchObject({ ok: true, warnings: [] });
  });

  it('lists the warning beside blocking problems when the flow has both', () => {
    const flow = doc(
      [
        keywordTrigger('t', ['hi']),
        node('h', 'http_request', { url: 'https://api.example.com', headers: [{ name: 'Authorization', value: 'Bearer abc123def456' }] }),
        node('lost', 'end'),
      ],
      [edge('t', 'out', 'h')],
    );
    expect(codes(flow).sort()).toEqual(['credential_in_plain_text', 'unreachable_node']);
  });
});

describe('when a document has many problems at once', () => {
  it('returns every one of them', () => {
    const flow = doc(
      [
        node('s', 'send_message', { text: '{{oops' }),
        node('s', 'end'),
        node('u', 'mystery'),
        node('c', 'condition', { rule: { method: ['x', 'y'] } }),
      ],
      [edge('s', 'out', 'nowhere'), edge('c', 'true', 'c')],
    );
    expect(new Set(codes(flow))).toEqual(
      new Set([
        'template_invalid',
        'duplicate_id',
        'unknown_node_type',
        'jsonlogic_operator_not_allowed',
        'edge_missing_node',
        'no_trigger',
        'cycle_without_wait',
      ]),
    );
  });
});

describe('when the test suite is complete', () => {
  it('has produced every problem code at least once', () => {
    expect(FLOW_PROBLEM_CODES.filter((c) => !seenCodes.has(c))).toEqual([]);
  });
});

describe('problem messages', () => {
  it('name nodes by their label (else their kind), never by id, and fields in words, never by document path', () => {
    const result = validateFlow(
      doc(
        [
          keywordTrigger('t', ['hi']),
          { ...node('send_mxb0xwxr7ows', 'send_message', { text: 'x' }), label: 'Say thanks' },
          node('send_other', 'send_message', { text: '' }),
        ],
        [edge('t', 'out', 'send_other')],
      ),
    );
    if (result.ok) throw new Error('expected problems');
    const messages = result.problems.map((p) => p.message);
    expect(messages).toContain('"Say thanks" cannot be reached from any trigger: connect it below a trigger, or delete it');
    for (const message of messages) expect(message).not.toMatch(/send_mxb0xwxr7ows|send_other|nodes\.\d/);
  });
});
