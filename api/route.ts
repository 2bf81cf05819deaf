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
  handler: (ctx: RouteContext<Out<PS>, Out<QS>, Out<BS>, Auth extends 'public' ? AuthContext | null : AuthContext>) => Promise<Answer<RS>>;
}

// The erased form stored in route tables.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any, any, any>;

/** Declares a route with its types inferred from its schemas. */
export function defineRoute<
  PS extends Schema | undefined = undefined,
  QS extends Schema | undefined = undefined,
  BS extends Schema | undefined = undefined,
  Auth extends 'public' | Capability = Capability,
  RS extends Schema | undefined = undefined,
>(def: RouteDef<PS, QS, BS, Auth, RS>): AnyRoute {
  return def as AnyRoute;
}
