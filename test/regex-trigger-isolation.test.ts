import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PATTERN_INPUT_CHARS } from '../engine/flows/user-pattern.ts';
import { testSql } from './support/test-sql.ts';
import { eventually } from './support/eventually.ts';
import { publishFlow } from './support/publish-flow.ts';
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
let attackerWorkspaceId: string;
let bystander: ApiClient;
let channelId: string;

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

async function signup(email: string, workspaceName: string): Promise<{ client: ApiClient; workspaceId: string }> {
  const res = await api.client.post('/api/v1/auth/signup', { email, password: 'password-123', name: workspaceName, workspaceName });
  expect(res.status).toBe(201);
  return { client: api.client.as(res.body.token), workspaceId: res.body.workspace.id };
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

/** A flow document with `count` triggers on the same pattern, each leading to one reply. */
function manyRegexTriggers(pattern: string, count: number) {
  const triggers = Array.from({ length: count }, (_, i) => ({
    id: `t${i}`,
    type: 'message_received',
    config: { match: { kind: 'regex', pattern } },
    position: { x: 0, y: i },
  }));
  return {
    schemaVersion: 1,
    nodes: [...triggers, { id: 's', type: 'send_message', config: { text: 'matched' }, position: { x: 1, y: 0 } }],
    edges: triggers.map((t) => ({ id: `e${t.id}`, source: t.id, sourceHandle: 'out', target: 's' })),
  };
}

/** Creates a flow of the attacker's through the API and asks to publish it; returns the flow and the publish answer. */
async function createAndPublish(name: string, document: unknown) {
  const created = await attacker.post('/api/v1/flows', { name, document });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { flowId: created.body.id, published: await attacker.post(`/api/v1/flows/${created.body.id}/publish`, {}) };
}

async function send(text: string): Promise<string> {
  const inbound = await attacker.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550001111', text });
  expect(inbound.status).toBe(202);
  return inbound.body.messageId;
}

const handled = async (messageId: string) =>
  (await sql(`select handled_at from messages where id = :id`, { id: messageId }))[0]?.handled_at ? true : undefined;
const runsOf = async (flowId: string) => (await sql(`select id from runs where flow_id = :flowId`, { flowId })).length;

beforeAll(async () => {
  api = await startTestApi();
  ({ client: attacker, workspaceId: attackerWorkspaceId } = await signup('attacker@example.com', 'Attacker'));
  ({ client: bystander } = await signup('bystander@example.com', 'Bystander'));
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
 * event loop for 27 s. Publishing now refuses triggers past the workspace's budget, and the
 * trigger index leaves out any that got in anyway (published before the budget, or by two
 * publications at once): the attack's flows past the first are written straight to the database.
 */
describe('when a workspace has hundreds of costly regex triggers over many flows', () => {
  it('refuses to publish past the budget, and handles its message while another workspace is served promptly, matching with the triggers published first', async () => {
    const pattern = 'a.{290}$';
    const first = await createAndPublish('3 costly triggers', manyRegexTriggers(pattern, 3));
    expect(first.published.status, JSON.stringify(first.published.body)).toBe(201);
    const refused = await createAndPublish('3 more costly triggers', manyRegexTriggers(pattern, 3));
    expect(refused.published.status).toBe(400);
    expect(refused.published.body.error.code).toBe('flow_invalid');
    expect(refused.published.body.error.details).toContainEqual(
      expect.objectContaining({
        code: 'regex_unsafe',
        nodeId: 't1',
        message: expect.stringContaining('too big to check on every message'),
      }),
    );
    const flowIds = [first.flowId];
    for (let i = 0; i < 59; i++)
      flowIds.push((await publishFlow(api, attackerWorkspaceId, manyRegexTriggers(pattern, 3), `direct ${i}`)).flowId);
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

describe("when switching a flow on would push another flow's regex triggers out of the budget", () => {
  it('refuses and names the flow that would stop answering', async () => {
    const { client: owner } = await signup('marketer@example.com', 'Marketing');
    const publish = async (name: string) => {
      const created = await owner.post('/api/v1/flows', { name, document: manyRegexTriggers('b.{290}$', 3) });
      return { id: created.body.id as string, published: await owner.post(`/api/v1/flows/${created.body.id}/publish`, {}) };
    };
    const older = await publish('Older campaign');
    expect(older.published.status).toBe(201);
    expect((await owner.patch(`/api/v1/flows/${older.id}`, { active: false })).status).toBe(200);
    const newer = await publish('Newer campaign');
    expect(newer.published.status).toBe(201);
    // The older flow was published first, so switched on again it would take the budget first.
    const reactivated = await owner.patch(`/api/v1/flows/${older.id}`, { active: true });
    expect(reactivated.status).toBe(400);
    expect(reactivated.body.error.details).toContainEqual(
      expect.objectContaining({
        code: 'regex_unsafe',
        message: expect.stringContaining('would switch off a trigger of the flow "Newer campaign"'),
      }),
    );
    expect((await owner.get(`/api/v1/flows/${older.id}`)).body.active).toBe(false);
  });
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
        {
          id: 't',
          type: 'message_received',
          config: { match: { kind: 'keyword', mode: 'exact', keywords: ['hi', 'price', 'order'] } },
          position: { x: 0, y: 0 },
        },
        { id: 's', type: 'send_message', config: { text: 'hello' }, position: { x: 1, y: 0 } },
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 's' }],
    };
    const created = await attacker.post('/api/v1/flows', { name: 'greeting', document });
    expect((await attacker.post(`/api/v1/flows/${created.body.id}/publish`, {})).status).toBe(201);
    expect(await slowestBystanderAnswerWhileHandling(`${'.'.repeat(65_535)}x`)).toBeLessThan(OTHER_TENANT_BOUND_MS);
  });
});
