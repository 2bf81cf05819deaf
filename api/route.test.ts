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
});
