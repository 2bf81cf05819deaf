import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRoute } from './route.ts';

/*
 * A handler must answer what its route's `response` declares. The compiler checks it (`npm run
 * check` type-checks this file): each `@ts-expect-error` below fails the check if the mistake
 * under it stops being an error.
 */
const Answer = z.object({ id: z.uuid(), status: z.enum(['open', 'closed']), at: z.string() });

describe('a route handler', () => {
  it('may answer its response, a Date where the schema says string (sent as ISO), or nothing', () => {
    const routes = [
      defineRoute({
        method: 'get',
        path: '/a',
        summary: 'a',
        tag: 't',
        auth: 'public',
        response: Answer,
        handler: async () => ({ id: 'x', status: 'open' as const, at: new Date() }),
      }),
      defineRoute({ method: 'delete', path: '/b', summary: 'b', tag: 't', auth: 'public', handler: async () => undefined }),
    ];
    expect(routes).toHaveLength(2);
  });

  it('may not answer a field its response does not accept', () => {
    const routes = [
      defineRoute({
        method: 'get',
        path: '/c',
        summary: 'c',
        tag: 't',
        auth: 'public',
        response: Answer,
        // @ts-expect-error a status outside the declared enum
        handler: async () => ({ id: 'x', status: 'pending', at: 'now' }),
      }),
      defineRoute({
        method: 'get',
        path: '/d',
        summary: 'd',
        tag: 't',
        auth: 'public',
        response: Answer,
        // @ts-expect-error a missing field
        handler: async () => ({ id: 'x', status: 'open' as const }),
      }),
      defineRoute({
        method: 'get',
        path: '/e',
        summary: 'e',
        tag: 't',
        auth: 'public',
        // @ts-expect-error a body from a route that declares none
        handler: async () => ({ id: 'x' }),
      }),
    ];
    expect(routes).toHaveLength(3);
  });

  it('may not answer a key its response does not declare, at any depth, however the answer was built', () => {
    const stored = { id: 'x', status: 'open' as const, at: new Date(), passwordHash: 'h' };
    const routes = [
      defineRoute({
        method: 'get',
        path: '/f',
        summary: 'f',
        tag: 't',
        auth: 'public',
        response: Answer,
        // @ts-expect-error an entity answered as it is
        handler: async () => stored,
      }),
      defineRoute({
        method: 'get',
        path: '/g',
        summary: 'g',
        tag: 't',
        auth: 'public',
        response: z.object({ items: z.array(z.object({ owner: Answer })) }),
        // @ts-expect-error a spread entity deep in a list: items.owner.passwordHash
        handler: async () => ({ items: [{ owner: { ...stored } }] }),
      }),
      defineRoute({
        method: 'get',
        path: '/h',
        summary: 'h',
        tag: 't',
        auth: 'public',
        response: z.object({ id: z.string(), attributes: z.record(z.string(), z.unknown()) }),
        // Anything goes where the schema takes anything.
        handler: async () => ({ id: 'x', attributes: { ...stored } }),
      }),
    ];
    expect(routes).toHaveLength(3);
  });
});
