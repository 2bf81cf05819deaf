import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from './http-server.ts';

const app = express();
app.set('query parser', 'simple');
app.post('/echo/:id', express.json(), (req, res) => {
  res.status(201).json({ id: req.params.id, query: req.query, body: req.body as unknown, app: req.app === app, ip: req.ip });
});
const server = createHttpServer(app);
let seen: { request: boolean; response: boolean } | null = null;
// Before Express has seen the request: were both objects born with the app's prototypes?
server.prependListener('request', (req, res) => {
  seen = { request: Object.getPrototypeOf(req) === app.request, response: Object.getPrototypeOf(res) === app.response };
});
let base = '';
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

describe('the HTTP server of the app', () => {
  it('creates requests and responses with the Express prototypes, so that Express never changes them', async () => {
    await fetch(`${base}/echo/1`, { method: 'POST' });
    expect(seen).toEqual({ request: true, response: true });
  });

  it('serves Express as usual: params, query, JSON body, status and JSON answer', async () => {
    const res = await fetch(`${base}/echo/abc?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":[1,2]}',
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: 'abc', query: { x: '1' }, body: { a: [1, 2] }, app: true, ip: '127.0.0.1' });
  });
});
