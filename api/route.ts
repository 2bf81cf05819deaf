import type { Request, Response } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import type { Capability, Role } from '../engine/tenancy/role.ts';
import type { ApiDeps } from './api-deps.ts';

/** Who is calling, resolved from the bearer token or API key. Every query filters on `workspaceId`. */
export interface AuthContext {
  workspaceId: string;
  role: Role;
  actorKind: 'user' | 'api_key';
  /** The user, for session tokens; null for API keys. */
  userId: string | null;
  apiKeyId: string | null;
  /** The session token's id and expiry (for logout) and how it came; null for API keys. */
  session: { id: string; expiresAt: Date; via: 'header' | 'cookie' } | null;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What a handler may answer: what its response schema accepts (Dates become ISO strings in JSON), or nothing. */
type Answer<RS> = RS extends z.ZodType ? JsonInput<z.input<RS>> | undefined : void;
/** `T` where a string may also be given as a Date: res.json writes a Date as its ISO string. */
type JsonInput<T> = T extends string
  ? T | Date
  : T extends readonly (infer E)[]
    ? readonly JsonInput<E>[]
    : T extends object
      ? { [K in keyof T]: JsonInput<T[K]> }
      : T;

/**
 * The keys an answer has, at any depth, that its declared shape does not (as `items.passwordHash`),
 * or never. Structural typing lets them through (a spread entity, a wider variable); the response
 * schema drops them at run time, and this says so at compile time. A shape of `unknown` (a
 * `z.unknown()` or `z.record(…, z.unknown())` value) declares whatever it holds.
 */
type UndeclaredKeys<T, Shape, Path extends string = '', Depth extends unknown[] = []> = 0 extends 1 & T
  ? never
  : unknown extends Shape
    ? never
    : // Deep enough for any answer's own fields; a recursive value (a JSON rule) is its schema's to refuse.
      Depth['length'] extends MaxCheckedDepth
      ? never
      : T extends Date | string | number | boolean | bigint | symbol | null | undefined
        ? never
        : T extends readonly (infer E)[]
          ? UndeclaredKeys<E, ElementOf<Shape>, Path, [...Depth, unknown]>
          : T extends object
            ? {
                [K in keyof T & string]: K extends KeysOf<Shape>
                  ? UndeclaredKeys<T[K], ValueAt<Shape, K>, `${Path}${K}.`, [...Depth, unknown]>
                  : `${Path}${K}`;
              }[keyof T & string]
            : never;
type MaxCheckedDepth = 6;
type ElementOf<Shape> = Shape extends readonly (infer E)[] ? E : never;
/** Every key of every object member of `Shape`: a union declares what any of its members does. */
type KeysOf<Shape> = Shape extends object ? keyof Shape : never;
type ValueAt<Shape, K extends string> = Shape extends object ? (K extends keyof Shape ? Shape[K] : never) : never;
/** Nothing when the answer `A` has no undeclared key; otherwise a `handler` no function matches, whose type names them. */
type DeclaredKeysOnly<A, Declared> = [UndeclaredKeys<A, Declared>] extends [never]
  ? unknown
  : { handler: `answers keys its response does not declare: ${UndeclaredKeys<A, Declared>}` };

export interface RouteContext<P, Q, B, A> {
  deps: ApiDeps;
  /** A fork of the ORM's entity manager for this request only (forked on first use). */
  em: EntityManager;
  auth: A;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/**
 * One HTTP route, described once: the table of these drives Express registration, request
 * validation, role checks, the OpenAPI document and the cross-workspace walk test.
 */
export interface RouteDef<
  PS extends Schema | undefined = Schema | undefined,
  QS extends Schema | undefined = Schema | undefined,
  BS extends Schema | undefined = Schema | undefined,
  Auth extends 'public' | Capability = 'public' | Capability,
  RS extends Schema | undefined = Schema | undefined,
  /** The handler's answer as its type says: inferred by defineRoute, which refuses undeclared keys in it. */
  A extends Answer<RS> = Answer<RS>,
> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express path; `:name` parameters. */
  path: string;
  summary: string;
  tag: string;
  /** `public`, or the capability the caller's role must have. */
  auth: Auth;
  params?: PS;
  query?: QS;
  body?: BS;
  /**
   * The success response's schema: the OpenAPI document's, and what leaves. The handler's answer
   * is parsed by it before it is sent (api/checked-answer.ts): keys it does not declare are
   * dropped, and an answer it refuses is a 500, never sent.
   */
  response?: RS;
  /** Success status; 200 unless set. */
  status?: number;
  /**
   * The route answers a live stream (`text/event-stream`) instead of one JSON response: the
   * handler writes to `res` itself until the client leaves.
   */
  stream?: true;
  /**
   * The route may end or narrow credentials (logout, a revoked API key, a member's role or
   * membership): on success, this process forgets every credential it had checked (AuthCache).
   */
  endsCredentials?: true;
  /** A valid body, used by the OpenAPI document and by tests that walk every route. */
  exampleBody?: unknown;
  /**
   * Answers what `response` declares (checked by the compiler, then by the schema at run time),
   * or undefined for an empty answer (204) or a stream.
   */
  handler: (ctx: RouteContext<Out<PS>, Out<QS>, Out<BS>, Auth extends 'public' ? AuthContext | null : AuthContext>) => Promise<A>;
}

// The erased form stored in route tables.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any, any, any, any>;

/** Declares a route with its types inferred from its schemas. */
export function defineRoute<
  PS extends Schema | undefined = undefined,
  QS extends Schema | undefined = undefined,
  BS extends Schema | undefined = undefined,
  Auth extends 'public' | Capability = Capability,
  RS extends Schema | undefined = undefined,
  A extends Answer<RS> = Answer<RS>,
>(def: RouteDef<PS, QS, BS, Auth, RS, A> & DeclaredKeysOnly<A, Answer<RS>>): AnyRoute {
  return def as AnyRoute;
}
