import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../api/routes/index.ts';
import type { AnyRoute } from '../api/route.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { inviteMember } from './support/invite-member.ts';
import { BROADCAST_BODY_LIMIT_BYTES, BROADCASTS_PATH } from '../api/routes/broadcasts.routes.ts';
import { MAX_JSONLOGIC_DEPTH } from '../engine/flows/json-logic.ts';
import { MAX_JSON_BODY_DEPTH } from '../platform/http/json-nesting-depth.ts';

let api: TestApi;
let owner: ApiClient;
let ids: Record<string, string>;

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const bodyRoutes = allRoutes.filter((r) => r.body);
const idRoutes = allRoutes.filter((r) => r.path.includes(':id'));
const name = (r: AnyRoute) => `${r.method.toUpperCase()} ${r.path}`;

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'bad-input@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'W',
  });
  owner = api.client.as(signup.body.token);
  const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' });
  const inbound = await owner.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, { from: '+15550000009', text: 'hi' });
  const member = await inviteMember(owner, { email: 'm@example.com', role: 'agent', name: 'M', password: 'password-m' });
  const key = await owner.post('/api/v1/api-keys', { name: 'K' });
  const flow = await owner.post('/api/v1/flows', { name: 'F' });
  // Runs are written by the engine only; no route here reaches a run with a body, so an unknown id serves.
  ids = {
    channels: channel.body.id,
    contacts: inbound.body.contactId,
    conversations: inbound.body.conversationId,
    members: member.memberId,
    'api-keys': key.body.id,
    flows: flow.body.id,
  };
});

afterAll(async () => {
  await api?.close();
});

function pathOf(route: AnyRoute, id?: string): string {
  return '/api' + route.path.replace(':id', id ?? ids[route.tag] ?? UNKNOWN_ID);
}

describe('when a body is malformed JSON', () => {
  it.each(bodyRoutes.map((r) => [name(r), r] as const))('%s answers 400 malformed_json', async (_n, route) => {
    const res = await owner.request(route.method, pathOf(route), undefined, { rawBody: '{"name": "x",' });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'malformed_json', message: 'the request body is not valid JSON' });
  });
});

describe('when a body is missing or not JSON', () => {
  it.each(bodyRoutes.map((r) => [name(r), r] as const))('%s answers 400 validation_failed', async (_n, route) => {
    const res = await owner.request(route.method, pathOf(route), undefined, {
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toBe('this endpoint needs a JSON body');
  });
});

describe('when required fields are missing', () => {
  const strictRoutes = bodyRoutes.filter((r) => !r.body!.safeParse({}).success);
  it.each(strictRoutes.map((r) => [name(r), r] as const))('%s answers 400 with the missing fields named', async (_n, route) => {
    const res = await owner.request(route.method, pathOf(route), {});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.length).toBeGreaterThan(0);
    for (const d of res.body.error.details) expect(typeof d.message).toBe('string');
  });
});

describe('when fields have the wrong types', () => {
  it.each(bodyRoutes.map((r) => [name(r), r] as const))('%s answers 400', async (_n, route) => {
    const wrong = Object.fromEntries(Object.keys(route.exampleBody as object).map((k) => [k, { nested: [1, 2, 3] }]));
    const res = await owner.request(route.method, pathOf(route), wrong);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it.each(bodyRoutes.map((r) => [name(r), r] as const))('%s refuses a JSON array in place of an object', async (_n, route) => {
    const res = await owner.request(route.method, pathOf(route), [route.exampleBody]);
    expect(res.status).toBe(400);
  });
});

describe('when a body is too large', () => {
  it.each(bodyRoutes.map((r) => [name(r), r] as const))('%s answers 413 payload_too_large', async (_n, route) => {
    // Broadcast routes take larger bodies (an audience of phones or a CSV); every other route the default 256 KiB.
    const limit = ('/api' + route.path).startsWith(BROADCASTS_PATH) ? BROADCAST_BODY_LIMIT_BYTES : 256 * 1024;
    const res = await owner.request(route.method, pathOf(route), {
      ...(route.exampleBody as object),
      padding: 'x'.repeat(limit + 44 * 1024),
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });
});

/** 30,000 arrays one inside another under a key: once a stack overflow (500) inside validation. */
const DEEP_LEVELS = 30_000;
const deepBody = (key: string) => `{"${key}": ${'['.repeat(DEEP_LEVELS)}${']'.repeat(DEEP_LEVELS)}}`;
const TOO_DEEP = {
  code: 'body_too_deep',
  message: `the JSON body nests arrays or objects more than ${MAX_JSON_BODY_DEPTH} levels deep; flatten it`,
  details: { maxDepth: MAX_JSON_BODY_DEPTH },
};

describe('when a body nests 30,000 levels deep', () => {
  it.each(bodyRoutes.map((r) => [name(r), r] as const))('%s answers 400 body_too_deep, and the server still answers', async (_n, route) => {
    const res = await owner.request(route.method, pathOf(route), undefined, {
      rawBody: deepBody(Object.keys(route.exampleBody as object)[0] ?? 'x'),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual(TOO_DEEP);
    expect((await owner.get('/api/v1/flows')).status).toBe(200);
  });

  it("a flow's inbound webhook answers 400 body_too_deep before looking at the token", async () => {
    const res = await api.client.request('post', `/hooks/flows/${ids.flows}/${'t'.repeat(40)}`, undefined, { rawBody: deepBody('order') });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual(TOO_DEEP);
  });
});

describe('when a body holds the NUL character (which PostgreSQL cannot store)', () => {
  it.each(bodyRoutes.map((r) => [name(r), r] as const))('%s answers 400 nul_character, naming where it is', async (_n, route) => {
    const key = Object.keys(route.exampleBody as object)[0] ?? 'x';
    const res = await owner.request(route.method, pathOf(route), { ...(route.exampleBody as object), [key]: ['ok', { text: 'a\u0000b' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'nul_character', details: { path: `${key}[1].text` } });
  });

  it('refuses it in an imported flow document instead of failing on it (a fuzz case that answered 500)', async () => {
    const res = await owner.post('/api/v1/flows/import', { document: { schemaVersion: 1, nodes: [['\u0000', 0]], edges: [] } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'the request holds the NUL character (\\u0000) at document.nodes[0][0], which cannot be stored; remove it',
    );
  });
});

describe('when a flow nests a condition as deep as validation allows', () => {
  it('imports it without a problem: the depth cap leaves room for the deepest valid rule', async () => {
    let rule: unknown = { var: 'contact.name' };
    for (let i = 0; i < MAX_JSONLOGIC_DEPTH; i++) rule = { '!': [rule] };
    const document = {
      schemaVersion: 1,
      nodes: [
        { id: 'start', type: 'message_received', position: { x: 0, y: 0 }, config: { match: { kind: 'any' } } },
        { id: 'deep', type: 'condition', position: { x: 300, y: 0 }, config: { rule } },
      ],
      edges: [{ id: 'e1', source: 'start', sourceHandle: 'out', target: 'deep' }],
    };
    const res = await owner.post('/api/v1/flows/import', { name: 'Deep condition', document });
    expect(res.status).toBe(201);
    expect(res.body.problems.filter((p: { code: string }) => p.code.startsWith('jsonlogic'))).toEqual([]);
    expect((await owner.get(`/api/v1/flows/${res.body.id}`)).body.document.nodes[1].config.rule).toEqual(rule);
  });
});

describe('when an id names nothing', () => {
  it.each(idRoutes.map((r) => [name(r), r] as const))('%s answers 404 for an unknown id', async (_n, route) => {
    const res = await owner.request(route.method, pathOf(route, UNKNOWN_ID), route.exampleBody);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it.each(idRoutes.map((r) => [name(r), r] as const))('%s answers 404 for an id that is not a UUID', async (_n, route) => {
    const res = await owner.request(route.method, pathOf(route, 'not-a-uuid'), route.exampleBody);
    expect(res.status).toBe(404);
  });
});

describe('when query parameters are wrong', () => {
  it.each([['limit=0'], ['limit=1000'], ['limit=abc'], ['cursor=garbage'], ['status=closed'], ['channelId=nope']])(
    'GET /v1/conversations?%s answers 400',
    async (q) => {
      const res = await owner.get(`/api/v1/conversations?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    },
  );
});

describe('when a route does not exist', () => {
  it('answers 404 route_not_found in the error shape', async () => {
    const res = await owner.get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('route_not_found');
  });
});

describe('when the sandbox inbound gets a bad phone', () => {
  it('names the field and the expected format', async () => {
    const res = await owner.post(`/api/v1/channels/${ids.channels}/sandbox/inbound`, { from: '0612345678', text: 'hi' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({
      path: 'from',
      message: 'must be the full number in international format (E.164): + then the country code and the number, such as +5511999998888',
    });
  });
});
