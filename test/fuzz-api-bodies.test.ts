import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../api/route.ts';
import { allRoutes } from '../api/routes/index.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { bodiesOf } from './support/fuzz-arbitraries.ts';
import { inviteMember } from './support/invite-member.ts';

// Random bodies for every route that takes one, drawn from its zod schema and then mutated
// (wrong types, missing and extra keys, huge and nested values): never a 500, only the
// documented problem codes. FUZZ_RUNS scales the number of cases per route.

const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 20);
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let api: TestApi;
let owner: ApiClient;
let ids: Record<string, string>;
let cases = 0;

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'fuzz@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Fuzz',
  });
  owner = api.client.as(signup.body.token);
  const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' });
  const inbound = await owner.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, { from: '+15550000019', text: 'hi' });
  const member = await inviteMember(owner, { email: 'fuzz-member@example.com', role: 'agent', name: 'M', password: 'password-m' });
  const flow = await owner.post('/api/v1/flows', { name: 'F' });
  const secret = await owner.post('/api/v1/secrets', { name: 'FUZZ_KEY', value: 'value-1234' });
  const broadcast = await owner.get('/api/v1/broadcasts');
  ids = {
    channels: channel.body.id,
    contacts: inbound.body.contactId,
    conversations: inbound.body.conversationId,
    members: member.memberId,
    flows: flow.body.id,
    secrets: secret.body?.id ?? UNKNOWN_ID,
    broadcasts: broadcast.body?.items?.[0]?.id ?? UNKNOWN_ID,
  };
});

afterAll(async () => {
  console.info(`[fuzz api bodies] ${cases} requests over ${allRoutes.filter((r) => r.body).length} routes, none answered 5xx`);
  await api?.close();
});

/** Problem codes a client may see for a bad body (api/http-errors.ts), besides the route's own 4xx. */
const KNOWN_CODES = /^[a-z_]+$/;

describe.each(allRoutes.filter((r) => r.body).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
  '%s with random and mutated bodies',
  (_name, route: AnyRoute) => {
    it('never answers 5xx; every refusal is a problem with a code', async () => {
      const path = '/api' + route.path.replace(':id', ids[route.tag] ?? UNKNOWN_ID);
      await fc.assert(
        fc.asyncProperty(bodiesOf(route.body!), async (body) => {
          cases += 1;
          const res = await owner.request(route.method, path, body === undefined ? null : body);
          expect(
            res.status,
            `${route.method} ${path} ${JSON.stringify(body)?.slice(0, 300)} → ${JSON.stringify(res.body)?.slice(0, 300)}`,
          ).toBeLessThan(500);
          if (res.status >= 400) expect(res.body?.error?.code).toMatch(KNOWN_CODES);
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    }, 120_000);
  },
);
