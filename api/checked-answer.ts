import { InvariantError } from '../engine/errors/invariant.error.ts';
import { zodIssueLine } from '../engine/errors/zod-issue-details.ts';
import type { AnyRoute } from './route.ts';

/**
 * What a route sends for its handler's answer: the answer as JSON would write it (a Date as its
 * ISO string, anything with `toJSON` as what that returns), parsed by the route's response
 * schema, which keeps only the keys it declares, at every depth. The compiler cannot promise as
 * much: a spread entity or a wider variable passes its structural check with extra fields (a
 * password hash, another workspace's id), and anyone can sign up and read what leaves.
 *
 * An answer the schema refuses, or a body from a route that declares none, is a bug on our side:
 * an InvariantError (the API logs it with the route and answers 500 `internal`), and nothing of
 * the answer is sent. Its message names the fields and zod's words, never their values.
 */
export function checkedAnswer(route: AnyRoute, answer: unknown): unknown {
  if (!route.response)
    throw new InvariantError(`${routeName(route)} declares no response but answered a body`, { route: routeName(route) });
  const result = route.response.safeParse(asJson(answer, ''));
  if (result.success) return result.data;
  throw new InvariantError(`${routeName(route)} answered outside its response schema: ${zodIssueLine(result.error)}`, {
    route: routeName(route),
  });
}

function routeName(route: AnyRoute): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}

/**
 * `value` as JSON.stringify reads it: `toJSON` applied wherever an object has one (Date,
 * MikroORM's references), then the same for its members. Objects and arrays are copied only
 * where a member changed: most answers are already plain and are handed to the schema as they are.
 */
function asJson(value: unknown, key: string | number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  // As JSON.stringify: what toJSON returns is not asked for its own toJSON, only its members are.
  return membersAsJson(typeof toJSON === 'function' ? (toJSON as (key: string) => unknown).call(value, String(key)) : value);
}

function membersAsJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const member: unknown = value[i];
      const json = asJson(member, i);
      if (json !== member) (copy ??= value.slice())[i] = json;
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const member = record[key];
    const json = asJson(member, key);
    if (json !== member) (copy ??= { ...record })[key] = json;
  }
  return copy ?? value;
}
