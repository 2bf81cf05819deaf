import type { EntityManager } from '@mikro-orm/postgresql';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import FindMyWay from 'find-my-way';
import type { z } from 'zod';
import { ForbiddenError, NotFoundError, ValidationError } from '../engine/errors/app-error.ts';
import { can, CAPABILITIES, type Capability } from '../engine/tenancy/role.ts';
import type { ApiDeps } from './api-deps.ts';
import { authenticate, credentialOf } from './auth/authenticate.ts';
import type { AnyRoute, AuthContext } from './route.ts';
import { checkedAnswer } from './checked-answer.ts';
import { zodIssueDetails } from '../engine/errors/zod-issue-details.ts';

/** Set on the request once the caller is known, for logs, metrics and usage events. */
export interface RequestState {
  auth?: AuthContext | null;
  route?: string;
}

export function requestState(req: Request): RequestState {
  const r = req as Request & { omState?: RequestState };
  r.omState ??= {};
  return r.omState;
}

function parsePart(schema: z.ZodType | undefined, value: unknown, part: string, route: AnyRoute): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (result.success) return result.data;
  // A malformed id can name no resource of the caller's: answer as for any missing resource.
  if (part === 'params') throw new NotFoundError(route.tag);
  throw new ValidationError(part === 'body' && value === undefined ? 'this endpoint needs a JSON body' : `invalid ${part}`, {
    details: zodIssueDetails(result.error),
  });
}

/** How a request reaches its route: one lookup in a radix tree, whatever the number of routes. */
const ROUTE_TABLE_OPTIONS = {
  // As Express routes: paths match whatever their letter case, with or without a trailing slash.
  caseSensitive: false,
  ignoreTrailingSlash: true,
  // Express bounds no parameter; ids here are UUIDs, and a longer value is looked up and refused as unknown.
  maxParamLength: 1000,
} as const;

/**
 * The API's routes, as one middleware: finds the route of the request's method and path
 * (relative to where it is mounted), then authenticates, checks the role, validates
 * params/query/body, runs the handler and answers. A path no route takes goes on to `next`.
 * A GET route also answers HEAD, and OPTIONS lists a path's methods, as with Express.
 */
export function registerRoutes(deps: ApiDeps, routes: AnyRoute[]): RequestHandler {
  const table = FindMyWay(ROUTE_TABLE_OPTIONS);
  for (const route of routes) {
    const method = route.method === 'get' ? (['GET', 'HEAD'] as const) : route.method.toUpperCase();
    table.on(method as FindMyWay.HTTPMethod | FindMyWay.HTTPMethod[], route.path, () => {}, routeHandler(deps, route));
  }
  return (req, res, next) => {
    // An undecodable path (a stray `%`) finds nothing, as an unknown path.
    const found = table.find(req.method as FindMyWay.HTTPMethod, req.path);
    if (!found) return req.method === 'OPTIONS' ? answerOptions(table, req.path, res, next) : next();
    req.params = found.params as Record<string, string>;
    (found.store as RouteHandler)(req, res).catch(next);
  };
}

type RouteHandler = (req: Request, res: Response) => Promise<void>;

// In alphabetical order, as Express listed them.
const METHODS: readonly FindMyWay.HTTPMethod[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'];

/** OPTIONS on a path some route takes: its methods in `Allow`, as Express's router answered. */
function answerOptions(table: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>, path: string, res: Response, next: NextFunction): void {
  const allowed = METHODS.filter((method) => table.find(method, path) !== null);
  if (allowed.length === 0) return next();
  res.setHeader('Allow', allowed.join(', '));
  res.type('text').send(allowed.join(', '));
}

/** One route's handling, once it is found. */
function routeHandler(deps: ApiDeps, route: AnyRoute): RouteHandler {
  return async (req, res) => {
    const state = requestState(req);
    state.route = route.path;
    // Forked on first use: a request answered without the ORM (a cached credential, plain statements) never pays for it.
    let forked: EntityManager | undefined;
    const em = () => (forked ??= deps.orm.em.fork());
    let auth: AuthContext | null = null;
    if (route.auth !== 'public') {
      auth = await authenticate({ tokens: deps.tokens, cache: deps.authCache, em }, credentialOf(req));
      state.auth = auth;
      const capability = route.auth as Capability;
      if (!can(auth.role, capability)) throw new ForbiddenError(CAPABILITIES[capability]);
    }
    const params = parsePart(route.params, req.params, 'params', route);
    const query = parsePart(route.query, req.query, 'query', route);
    const body = parsePart(route.body, req.body, 'body', route);
    const result = await route.handler({
      deps,
      get em() {
        return em();
      },
      auth,
      params,
      query,
      body,
      req,
      res,
    });
    if (route.endsCredentials) deps.authCache.clear();
    if (res.headersSent) return;
    const status = route.status ?? 200;
    if (result === undefined) {
      res.status(status === 200 ? 204 : status).end();
      return;
    }
    // Checked before anything is set on the response: a refused answer leaves it to the error handler untouched.
    const answer = checkedAnswer(route, result);
    res.status(status).json(answer);
  };
}
