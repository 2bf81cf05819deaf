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

describe('when a workspace publishes regex triggers that made JavaScript backtrack polynomially', () => {
  it(`handles its ${MAX_PATTERN_INPUT_CHARS}-character message while another workspace's API request is served promptly`, async () => {
    const flowIds = [];
    for (const pattern of POLYNOMIAL_PATTERNS) flowIds.push(await publishRegexFlow(pattern));
    // The triggers are live: an ordinary message matching the first one starts its flow.
    const ordinary = await send('aaab');
    await eventually(() => handled(ordinary));
    expect(await runsOf(flowIds[0]!)).toBe(1);

    // While the hostile message is sent and handled, the other workspace asks for its flows, one
    // request after another so that one is always in flight: the product runs in this process,
    // so a match that holds the event loop shows as a slow answer.
    const latencies: number[] = [];
    let hostileHandled = false;
    const bystanderRequests = (async () => {
      while (!hostileHandled) {
        const asked = performance.now();
        const res = await bystander.get('/api/v1/flows');
        latencies.push(performance.now() - asked);
        expect(res.status).toBe(200);
      }
    })();
    const messageId = await send(HOSTILE_TEXT);
    await eventually(() => handled(messageId), 20_000);
    hostileHandled = true;
    await bystanderRequests;
    expect(latencies.length).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(OTHER_TENANT_BOUND_MS);
    // Handled, and matched by neither trigger (no "b", no "=").
    expect(await Promise.all(flowIds.map(runsOf))).toEqual([1, 0]);
  });
});
