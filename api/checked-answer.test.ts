import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ApiDeps } from './api-deps.ts';
import { InvariantError } from '../engine/errors/invariant.error.ts';
import { checkedAnswer } from './checked-answer.ts';
import { errorHandler } from './http-errors.ts';
import { registerRoutes } from './register-routes.ts';
import { defineRoute, type AnyRoute } from './route.ts';

/*
 * The compiler refuses an answer with keys its response does not declare, but only those its
 * types show: a value typed as a narrower view (a `Pick<Entity, …>`, a cast) holds more at run
 * time. What leaves is decided at run time, by the response schema.
 */
const SECRET = 'argon2id$v=19$m=65536$the-hash';
const User = z.object({ id: z.uuid(), email: z.string(), createdAt: z.string(), team: z.object({ name: z.string() }) });
const USER_ID = '0190a6b2-7c3e-7000-8000-000000000001';
const CREATED_AT = new Date('2025-03-04T05:06:07.089Z');
/** What the handlers' types say they hold. */
interface UserView {
  id: string;
  email: string;
  createdAt: Date;
  team: { name: string };
}
/** A stored user as the ORM gives it: more than any answer may show. */
const storedUser = {
  id: USER_ID,
  email: 'sam@example.com',
  passwordHash: SECRET,
  createdAt: CREATED_AT,
  team: { name: 'Support', inviteToken: SECRET },
};
const user: UserView = storedUser;

const routes: AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/v1/me',
    summary: 'me',
    tag: 't',
    auth: 'public',
    response: User,
    handler: async () => user,
  }),
  defineRoute({
    method: 'get',
    path: '/v1/users',
    summary: 'users',
    tag: 't',
    auth: 'public',
    response: z.object({ items: z.array(User) }),
    handler: async () => ({ items: [user, { ...user, email: 'kim@example.com' }] }),
  }),
  defineRoute({
    method: 'get',
    path: '/v1/me/wrong',
    summary: 'a wrong shape',
    tag: 't',
    auth: 'public',
    response: User,
    // A mistake the compiler accepts: a Date where the schema wants a UUID (sent as its ISO string, not a UUID).
    handler: async () => ({ ...user, id: CREATED_AT }),
  }),
  defineRoute({
    method: 'get',
    path: '/v1/me/shapeless',
    summary: 'a body from a route that declares none',
    tag: 't',
    auth: 'public',
    // Only a cast gets this past the compiler.
    handler: (async () => ({ passwordHash: SECRET })) as unknown as () => Promise<undefined>,
  }),
  defineRoute({
    method: 'post',
    path: '/v1/streamed',
    summary: 'writes its own answer',
    tag: 't',
    auth: 'public',
    response: User,
    handler: async ({ res }) => {
      res.status(200).json({ written: 'by the handler' });
      return user;
    },
  }),
];

let base = '';
let close: () => void = () => {};
let logLines: string[] = [];

beforeAll(async () => {
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  const app = express();
  // Public routes only: the deps are never reached.
  app.use('/api', express.json(), registerRoutes({} as ApiDeps, routes));
  app.use(errorHandler(logger));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());
beforeEach(() => {
  logLines = [];
});

async function call(method: string, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, { method });
  return { status: res.status, text: await res.text() };
}

const INTERNAL = { error: { code: 'internal', message: 'an internal error occurred; it has been logged' } };

describe('when a handler answers fields its response does not declare', () => {
  it('sends the answer without them, at every depth, its Dates as ISO strings', async () => {
    const { status, text } = await call('GET', '/api/v1/me');
    expect(status).toBe(200);
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toEqual({
      id: USER_ID,
      email: 'sam@example.com',
      createdAt: '2025-03-04T05:06:07.089Z',
      team: { name: 'Support' },
    });
  });

  it('strips every item of a list', async () => {
    const { status, text } = await call('GET', '/api/v1/users');
    expect(status).toBe(200);
    expect(text).not.toContain(SECRET);
    expect((JSON.parse(text) as { items: object[] }).items.map((item) => Object.keys(item))).toEqual([
      ['id', 'email', 'createdAt', 'team'],
      ['id', 'email', 'createdAt', 'team'],
    ]);
  });
});

describe('when a handler answers a shape its response refuses', () => {
  it('answers 500 internal, sends nothing of the answer and logs the route with the fields at fault', async () => {
    const { status, text } = await call('GET', '/api/v1/me/wrong');
    expect(status).toBe(500);
    expect(JSON.parse(text)).toEqual(INTERNAL);
    const logged = logLines.map((line) => JSON.parse(line) as { err?: { type: string; message: string; subject: object } });
    expect(logged).toHaveLength(1);
    expect(logged[0]!.err).toMatchObject({
      type: 'InvariantError',
      message: 'GET /v1/me/wrong answered outside its response schema: id Invalid UUID',
      subject: { route: 'GET /v1/me/wrong' },
    });
    expect(logLines.join('\n')).not.toContain(SECRET);
  });

  it('refuses a body from a route that declares no response', async () => {
    const { status, text } = await call('GET', '/api/v1/me/shapeless');
    expect(status).toBe(500);
    expect(JSON.parse(text)).toEqual(INTERNAL);
  });
});

describe('when a handler wrote its own answer', () => {
  it('leaves it as written', async () => {
    expect(await call('POST', '/api/v1/streamed')).toEqual({ status: 200, text: '{"written":"by the handler"}' });
  });
});

describe('checkedAnswer', () => {
  const Row = z.object({ id: z.string(), at: z.string(), when: z.string().nullable(), extra: z.unknown() });
  const route = defineRoute({
    method: 'get',
    path: '/x',
    summary: 'x',
    tag: 't',
    auth: 'public',
    response: Row,
    handler: async () => undefined,
  });

  it('writes a valid answer byte for byte as JSON.stringify wrote it before', () => {
    const answer = { id: 'a', at: CREATED_AT, when: null, extra: { nested: [CREATED_AT, { toJSON: () => 'own' }], n: 1 } };
    expect(JSON.stringify(checkedAnswer(route, answer))).toBe(JSON.stringify(answer));
  });

  it('hands a plain answer to the schema without copying it first', () => {
    const answer = { id: 'a', at: 'now', when: null, extra: [1, { b: 2 }] };
    expect((checkedAnswer(route, answer) as { extra: unknown }).extra).toBe(answer.extra);
  });

  it('throws an InvariantError naming the route and the fields at fault, not their values', () => {
    let thrown: unknown;
    try {
      checkedAnswer(route, { id: 'a', at: SECRET.length, when: SECRET, extra: null, more: SECRET });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvariantError);
    expect((thrown as InvariantError).message).toBe(
      'GET /x answered outside its response schema: at Invalid input: expected string, received number',
    );
    expect((thrown as InvariantError).subject).toEqual({ route: 'GET /x' });
  });
});
