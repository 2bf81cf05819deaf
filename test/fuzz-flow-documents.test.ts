import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_PROBLEM_CODES } from '../engine/flows/flow-problem.ts';
import { NODE_CATALOG } from '../engine/flows/node-catalog.ts';
import { validateFlow } from '../engine/flows/validate-flow.ts';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { fromZod, mutated } from './support/fuzz-arbitraries.ts';

// Random and mutated flow documents through validation and through the API's create, save and
// publish: validation never throws and names only documented problem codes (FLOW_PROBLEM_CODES);
// the API never answers 5xx; whatever gets published, the engine keeps answering messages.
// FUZZ_RUNS scales the number of cases.

const SCALE = Number(process.env.FUZZ_RUNS ?? 20) / 20;
const PURE_RUNS = Math.round(1_500 * SCALE);
const API_RUNS = Math.round(60 * SCALE);
const KNOWN = new Set<string>(FLOW_PROBLEM_CODES);

const ids = ['t', 'a', 'b', 'c', 'd', 'e'];
const ports = ['out', 'yes', 'no', 'timeout', 'reply', 'closed', 'open', 'default', 'a', 'b', 'case-1', 'x'];
const nodeArb = fc.constantFrom(...NODE_CATALOG).chain((def) =>
  fc.record(
    {
      id: fc.constantFrom(...ids),
      type: fc.constant<string>(def.type),
      config: fc.oneof(fc.constant(def.defaultConfig as unknown), fromZod(def.configSchema)),
      position: fc.record({ x: fc.integer({ min: -2_000, max: 2_000 }), y: fc.integer({ min: -2_000, max: 2_000 }) }),
      label: fc.string({ maxLength: 20 }),
    },
    { requiredKeys: ['id', 'type', 'config', 'position'] },
  ),
);
const edgeArb = fc.record({
  id: fc.string({ minLength: 1, maxLength: 4 }),
  source: fc.constantFrom(...ids),
  sourceHandle: fc.constantFrom(...ports),
  target: fc.constantFrom(...ids),
});
/** Documents built from the node catalog: mostly plausible, often wrong in the ways people get them wrong. */
const catalogDocuments = fc.record({
  schemaVersion: fc.constant(1),
  nodes: fc.array(nodeArb, { maxLength: 6 }),
  edges: fc.array(edgeArb, { maxLength: 8 }),
});
const triggerTypes = new Set(['message_received', 'schedule', 'inbound_webhook']);
const actions = NODE_CATALOG.filter((d) => !triggerTypes.has(d.type));
/** A keyword trigger and a chain of nodes through each one's first port: valid more often than not. */
const chainDocuments = fc
  .tuple(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.array(fc.tuple(fc.constantFrom(...actions), fc.boolean()), { minLength: 1, maxLength: 5 }),
  )
  .chain(([keyword, steps]) =>
    fc
      .tuple(...steps.map(([def, random]) => (random ? fromZod(def.configSchema) : fc.constant(def.defaultConfig as unknown))))
      .map((configs) => {
        const nodes = [
          { id: 'n0', type: 'message_received', config: { match: { kind: 'keyword', keywords: [keyword] } }, position: { x: 0, y: 0 } },
          ...steps.map(([def], i) => ({
            id: `n${i + 1}`,
            type: def.type as string,
            config: configs[i],
            position: { x: (i + 1) * 200, y: 0 },
          })),
        ];
        const edges = steps.map(([def], i) => {
          const from = i === 0 ? 'out' : (firstPort(steps[i - 1]![0], configs[i - 1]) ?? 'out');
          void def;
          return { id: `e${i}`, source: `n${i}`, sourceHandle: from, target: `n${i + 1}` };
        });
        return { schemaVersion: 1, nodes, edges };
      }),
  );

function firstPort(def: (typeof NODE_CATALOG)[number], config: unknown): string | undefined {
  try {
    return (def.outputs as (c: unknown) => readonly { id: string }[])(config)[0]?.id;
  } catch {
    return undefined;
  }
}

const examples = readdirSync(new URL('../examples/flows/', import.meta.url))
  .filter((f) => f.endsWith('.json'))
  .map((f) => (JSON.parse(readFileSync(new URL(`../examples/flows/${f}`, import.meta.url), 'utf8')) as { document: unknown }).document);
const documents = fc.oneof(
  chainDocuments,
  chainDocuments,
  mutated(chainDocuments),
  catalogDocuments,
  mutated(catalogDocuments),
  fc.constantFrom(...examples),
  mutated(fc.constantFrom(...examples)),
  fc.jsonValue({ maxDepth: 4 }),
);

describe('flow validation with random and mutated documents', () => {
  it(
    `never throws, names only documented problem codes, and accepts again what it accepted (${PURE_RUNS} cases)`,
    { timeout: 120_000 },
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(documents, (doc) => {
          const result = validateFlow(doc);
          if (result.ok) {
            accepted += 1;
            expect(validateFlow(result.flow).ok).toBe(true);
          } else {
            expect(result.problems.length).toBeGreaterThan(0);
            for (const p of result.problems) {
              expect(KNOWN.has(p.code), `${p.code}: ${p.message}`).toBe(true);
              expect(p.message.length).toBeGreaterThan(0);
            }
          }
        }),
        { numRuns: PURE_RUNS },
      );
      // The generator reaches valid documents too, or the property says little about publishing.
      expect(accepted).toBeGreaterThan(0);
      console.info(`[fuzz flow documents] ${PURE_RUNS} documents validated, ${accepted} valid`);
    },
  );
});

describe('the flows API with random and mutated documents', () => {
  let api: TestApi;
  let owner: ApiClient;
  let channelId: string;
  let published = 0;
  let requests = 0;

  beforeAll(async () => {
    api = await startTestApi();
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: 'flowfuzz@example.com',
      password: 'password-123',
      name: 'Owner',
      workspaceName: 'Flow fuzz',
    });
    owner = api.client.as(signup.body.token);
    channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
  });

  afterAll(async () => {
    console.info(
      `[fuzz flow documents] ${API_RUNS} documents through the API (${requests} requests), ${published} published, none answered 5xx`,
    );
    await api?.close();
  });

  const expectAnswer = (res: { status: number; body: any }, what: string) => {
    requests += 1;
    expect(res.status, `${what} → ${JSON.stringify(res.body)?.slice(0, 400)}`).toBeLessThan(500);
    if (res.status >= 400) {
      expect(res.body?.error?.code, what).toMatch(/^[a-z_]+$/);
      for (const p of res.body?.error?.details?.problems ?? res.body?.problems ?? [])
        expect(KNOWN.has(p.code), `${what}: ${p.code}`).toBe(true);
    }
  };

  it(
    `creates, saves and publishes them without a 5xx (${API_RUNS} cases), and the engine still answers`,
    { timeout: 240_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(documents, async (document) => {
          const created = await owner.post('/api/v1/flows', { name: 'Fuzzed', document });
          expectAnswer(created, `create ${JSON.stringify(document)?.slice(0, 300)}`);
          if (created.status !== 201) return;
          const saved = await owner.patch(`/api/v1/flows/${created.body.id}`, { document, baseRevision: created.body.draftRevision });
          expectAnswer(saved, 'save');
          const publish = await owner.post(`/api/v1/flows/${created.body.id}/publish`, {});
          expectAnswer(publish, `publish ${JSON.stringify(document)?.slice(0, 300)}`);
          if (publish.status === 201) published += 1;
        }),
        { numRuns: API_RUNS },
      );
      expect(published).toBeGreaterThan(0);
      // Whatever was published, a message is still handled (the trigger index built, no run crashed the drain).
      const inbound = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550003131', text: 'hello' });
      expect(inbound.status).toBe(202);
      const em = api.env.orm.em.fork();
      await eventually(
        async () =>
          (
            await testSql<{ handled: boolean }>(em, `select handled_at is not null as handled from messages where id = :id`, {
              id: inbound.body.messageId,
            })
          ).rows[0]?.handled
            ? true
            : undefined,
        20_000,
      );
    },
  );
});
