import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PATTERN_INPUT_CHARS } from '../engine/flows/user-pattern.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { eventually } from './support/eventually.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';

/**
 * Regression: a regex trigger ran on JavaScript's backtracking RegExp, and the publish check only
 * refused exponential patterns. `a*a*a*a*a*b` and `.*.*.*.*=` are polynomial: one 120-character
 * message held the process's event loop for about 90 s, and every other tenant's API with it.
 */
const POLYNOMIAL_PATTERNS = ['a*a*a*a*a*b', '.*.*.*.*='];
/** Long enough that backtracking never ends in practice; matches neither pattern. */
const HOSTILE_TEXT = 'a'.repeat(MAX_PATTERN_INPUT_CHARS);
/** What "served promptly" means for the other workspace, on a loaded 2-core CI machine. */
const OTHER_TENANT_BOUND_MS = 1_000;

let api: TestApi;
let attacker: ApiClient;
let bystander: ApiClient;
let channelId: string;

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await runSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

async function signup(email: string, workspaceName: string): Promise<ApiClient> {
  const res = await api.client.post('/api/v1/auth/signup', { email, password: 'password-123', name: workspaceName, workspaceName });
  expect(res.status).toBe(201);
  return api.client.as(res.body.token);
}

/** A published flow that answers messages matching `pattern`. */
async function publishRegexFlow(pattern: string): Promise<string> {
  const document = {
    schemaVersion: 1,
    nodes: [
      { id: 't', type: 'message_received', config: { match: { kind: 'regex', pattern } }, position: { x: 0, y: 0 } },
      { id: 's', type: 'send_message', config: { text: `matched ${pattern}` }, position: { x: 1, y: 0 } },
    ],
    edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 's' }],
  };
  const created = await attacker.post('/api/v1/flows', { name: pattern, document });
  expect(created.status).toBe(201);
  const published = await attacker.post(`/api/v1/flows/${created.body.id}/publish`, {});
  expect(published.status, JSON.stringify(published.body)).toBe(201);
  return created.body.id;
}

/** A published flow with `count` triggers on the same pattern, each leading to one reply. */
async function publishManyRegexTriggers(pattern: string, count: number): Promise<string> {
  const triggers = Array.from({ length: count }, (_, i) => ({ id: `t${i}`, type: 'message_received', config: { match: { kind: 'regex', pattern } }, position: { x: 0, y: i } }));
  const document = {
    schemaVersion: 1,
    nodes: [...triggers, { id: 's', type: 'send_message', config: { text: 'matched' }, position: { x: 1, y: 0 } }],
    edges: triggers.map((t) => ({ id: `e${t.id}`, source: t.id, sourceHandle: 'out', target: 's' })),
  };
  const created = await attacker.post('/api/v1/flows', { name: `${count} × ${pattern}`, document });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const published = await attacker.post(`/api/v1/flows/${created.body.id}/publish`, {});
  expect(published.status, JSON.stringify(published.body)).toBe(201);
  return created.body.id;
}

async function send(text: string): Promise<string> {
  const inbound = await attacker.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550001111', text });
  expect(inbound.status).toBe(202);
  return inbound.body.messageId;
}

const handled = async (messageId: string) => ((await sql(`select handled_at from messages where id = :id`, { id: messageId }))[0]?.handled_at ? true : undefined);
const runsOf = async (flowId: string) => (await sql(`select id from runs where flow_id = :flowId`, { flowId })).length;

beforeAll(async () => {
  api = await startTestApi();
  attacker = await signup('attacker@example.com', 'Attacker');
  bystander = await signup('bystander@example.com', 'Bystander');
  channelId = (await attacker.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
});

afterAll(async () => {
  await api?.close();
});

/**
 * While a message of the attacker is handled, the other workspace asks for its flows, one request
 * after another so that one is always in flight: the product runs in this process, so a match
 * that holds the event loop shows as a slow answer. Returns the slowest answer's time.
 */
async function slowestBystanderAnswerWhileHandling(text: string): Promise<number> {
  const latencies: number[] = [];
  let done = false;
  const bystanderRequests = (async () => {
    while (!done) {
      const asked = performance.now();
      const res = await bystander.get('/api/v1/flows');
      latencies.push(performance.now() - asked);
      expect(res.status).toBe(200);
    }
  })();
  const messageId = await send(text);
  await eventually(() => handled(messageId), 60_000);
  done = true;
  await bystanderRequests;
  expect(latencies.length).toBeGreaterThan(0);
  return Math.max(...latencies);
}

describe('when a workspace publishes regex triggers that made JavaScript backtrack polynomially', () => {
  it(`handles its ${MAX_PATTERN_INPUT_CHARS}-character message while another workspace's API request is served promptly`, async () => {
    const flowIds = [];
    for (const pattern of POLYNOMIAL_PATTERNS) flowIds.push(await publishRegexFlow(pattern));
    // The triggers are live: an ordinary message matching the first one starts its flow.
    const ordinary = await send('aaab');
    await eventually(() => handled(ordinary));
    expect(await runsOf(flowIds[0]!)).toBe(1);

    expect(await slowestBystanderAnswerWhileHandling(HOSTILE_TEXT)).toBeLessThan(OTHER_TENANT_BOUND_MS);
    // Handled, and matched by neither trigger (no "b", no "=").
    expect(await Promise.all(flowIds.map(runsOf))).toEqual([1, 0]);
  });
});

/**
 * Regression: each pattern ran in linear time, but a workspace could publish as many as it liked
 * (up to 1,000 triggers per flow, any number of flows) and every one was tried on each message.
 * `a.{290}$` is within the per-pattern limits and costs 70-150 ms on a 4,096-character message of
 * random letters (its automaton has too many states to cache); 200 of them in one flow held the
 * event loop for 27 s. One flow is now held to the budget at validation, so the attack spreads
 * the triggers over many flows, each within it.
 */
describe('when a workspace publishes hundreds of costly regex triggers over many flows', () => {
  it('handles its message while another workspace is served promptly, matching with the triggers published first', async () => {
    const pattern = 'a.{290}$';
    const flowIds: string[] = [];
    for (let i = 0; i < 60; i++) flowIds.push(await publishManyRegexTriggers(pattern, 3));
    const flowId = flowIds[0]!;
    // Letters in a pseudo-random order (a fixed linear congruential sequence: a repeating text
    // would let the automaton cache its states), ending in 291 b's so that no trigger matches
    // and every one is tried.
    let seed = 1;
    const randomLetters = Array.from({ length: MAX_PATTERN_INPUT_CHARS - 291 }, () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return (seed >> 16) % 2 === 0 ? 'a' : 'b';
    }).join('');
    expect(await slowestBystanderAnswerWhileHandling(randomLetters + 'b'.repeat(291))).toBeLessThan(OTHER_TENANT_BOUND_MS);
    expect(await Promise.all(flowIds.map(runsOf))).toEqual(flowIds.map(() => 0));
    // The triggers within the workspace's budget still work: a matching message starts the flow.
    const matching = await send(`a${'x'.repeat(290)}`);
    await eventually(() => handled(matching));
    expect(await runsOf(flowId)).toBe(1);
  }, 120_000);
});

/**
 * Regression: an exact keyword trigger (the editor's default: "hi") stripped the message's
 * closing punctuation with a regex that is quadratic on a long run of dots that does not end the
 * text; this one message held the event loop for 2.5 s per keyword. Anyone who can message the
 * workspace could send it.
 */
describe('when a message of 65,535 dots and a letter reaches an exact keyword trigger', () => {
  it('handles it while another workspace is served promptly', async () => {
    const document = {
      schemaVersion: 1,
      nodes: [
        { id: 't', type: 'message_received', config: { match: { kind: 'keyword', mode: 'exact', keywords: ['hi', 'price', 'order'] } }, position: { x: 0, y: 0 } },
        { id: 's', type: 'send_message', config: { text: 'hello' }, position: { x: 1, y: 0 } },
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 's' }],
    };
    const created = await attacker.post('/api/v1/flows', { name: 'greeting', document });
    expect((await attacker.post(`/api/v1/flows/${created.body.id}/publish`, {})).status).toBe(201);
    expect(await slowestBystanderAnswerWhileHandling(`${'.'.repeat(65_535)}x`)).toBeLessThan(OTHER_TENANT_BOUND_MS);
  });
});
