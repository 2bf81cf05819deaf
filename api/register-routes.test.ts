import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ApiDeps } from './api-deps.ts';
import { registerRoutes } from './register-routes.ts';
import { defineRoute, type AnyRoute } from './route.ts';

/*
 * The route table's lookup (a radix tree; Express's router walked every route in turn before):
 * the same paths reach the same routes as with Express, with two differences. A fixed path wins
 * over a parameter whatever the order of registration (no two API routes overlap so), and an
 * undecodable path is an unknown path (Express failed it, and the API answered 500).
 */
/** What every route here answers: which route it was, and the parameters it read. */
const Answer = z.record(z.string(), z.string());

const routes: AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/v1/things/:id',
    summary: 'one thing',
    tag: 't',
    auth: 'public',
    response: Answer,
    params: z.object({ id: z.string() }),
    handler: async ({ params }) => ({ route: 'one', id: params.id }),
  }),
  defineRoute({
    method: 'get',
    path: '/v1/things/:id/parts/:messageId',
    summary: 'a part',
    tag: 't',
    auth: 'public',
    response: Answer,
    params: z.object({ id: z.string(), messageId: z.string() }),
    handler: async ({ params }) => ({ route: 'part', ...params }),
  }),
  defineRoute({
    method: 'get',
    path: '/v1/things/export',
    summary: 'export',
    tag: 't',
    auth: 'public',
    response: Answer,
    handler: async () => ({ route: 'export' }),
  }),
  defineRoute({
    method: 'post',
    path: '/v1/things',
    summary: 'add',
    tag: 't',
    auth: 'public',
    response: Answer,
    status: 201,
    handler: async () => ({ route: 'add' }),
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/things/:id',
    summary: 'remove',
    tag: 't',
    auth: 'public',
    handler: async () => {
      throw new Error('the handler failed');
    },
  }),
];

let base = '';
let close: () => void = () => {};

beforeAll(async () => {
  const app = express();
  // Public routes only: the deps are never reached.
  app.use('/api', express.json(), registerRoutes({} as ApiDeps, routes));
  app.use((req, res) => res.status(404).json({ unmatched: `${req.method} ${req.originalUrl}` }));
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
    res.status(500).json({ error: err.message }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

async function call(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, { method });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('the route table', () => {
  it('finds a route by method and path, with its decoded parameters', async () => {
    expect(await call('GET', '/api/v1/things/a%20b')).toEqual({ status: 200, body: { route: 'one', id: 'a b' } });
    expect(await call('GET', '/api/v1/things/x/parts/y')).toEqual({ status: 200, body: { route: 'part', id: 'x', messageId: 'y' } });
    expect(await call('POST', '/api/v1/things')).toEqual({ status: 201, body: { route: 'add' } });
  });

  it("prefers a fixed path to a parameter, and keeps a parameter's letter case", async () => {
    expect(await call('GET', '/api/v1/things/export')).toEqual({ status: 200, body: { route: 'export' } });
    expect(await call('GET', '/api/v1/things/ExPort')).toEqual({ status: 200, body: { route: 'export' } });
    expect(await call('GET', '/api/V1/Things/AbC')).toEqual({ status: 200, body: { route: 'one', id: 'AbC' } });
  });

  it('takes a trailing slash and a query string, as Express does', async () => {
    expect(await call('GET', '/api/v1/things/abc/')).toEqual({ status: 200, body: { route: 'one', id: 'abc' } });
    expect(await call('GET', '/api/v1/things/abc?x=1')).toEqual({ status: 200, body: { route: 'one', id: 'abc' } });
  });

  it('answers HEAD with a GET route', async () => {
    const res = await fetch(`${base}/api/v1/things/abc`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  });

  it("answers OPTIONS with a path's methods", async () => {
    const res = await fetch(`${base}/api/v1/things/abc`, { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(res.headers.get('allow')).toBe('DELETE, GET, HEAD');
    expect(await call('OPTIONS', '/api/v1/other')).toEqual({ status: 404, body: { unmatched: 'OPTIONS /api/v1/other' } });
  });

  it('passes on what no route takes: another method, an unknown or undecodable path, a path outside the mount', async () => {
    expect(await call('PUT', '/api/v1/things/abc')).toEqual({ status: 404, body: { unmatched: 'PUT /api/v1/things/abc' } });
    expect(await call('GET', '/api/v1/other')).toEqual({ status: 404, body: { unmatched: 'GET /api/v1/other' } });
    expect(await call('GET', '/api/v1/things/%E0%A4%A')).toEqual({ status: 404, body: { unmatched: 'GET /api/v1/things/%E0%A4%A' } });
    expect(await call('GET', '/v1/things/abc')).toEqual({ status: 404, body: { unmatched: 'GET /v1/things/abc' } });
  });

  it("hands a handler's failure to the error middleware", async () => {
    expect(await call('DELETE', '/api/v1/things/abc')).toEqual({ status: 500, body: { error: 'the handler failed' } });
  });
});
