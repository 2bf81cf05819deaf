import { z } from 'zod';
import { ApiErrorSchema } from './http-errors.ts';
import type { AnyRoute } from './route.ts';

type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** The OpenAPI 3.1 document, generated from the same route table and zod schemas that validate requests. */
export function buildOpenApi(routes: AnyRoute[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = '/api' + route.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [part, where] of [
      [route.params, 'path'],
      [route.query, 'query'],
    ] as const) {
      if (!part) continue;
      const js = toJsonSchema(part, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, schema] of Object.entries(js.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema });
      }
    }
    const status = String(route.status ?? 200);
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      tags: [route.tag],
      ...(route.auth === 'public' ? { security: [] } : { 'x-capability': route.auth }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: toJsonSchema(route.body, 'input'),
                  ...(route.exampleBody ? { example: route.exampleBody } : {}),
                },
              },
            },
          }
        : {}),
      responses: {
        [status]: route.stream
          ? {
              description: 'a stream of server-sent events (text/event-stream)',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            }
          : route.response
            ? { description: 'success', content: { 'application/json': { schema: toJsonSchema(route.response, 'output') } } }
            : { description: 'success' },
        default: { description: 'error', content: { 'application/json': { schema: toJsonSchema(ApiErrorSchema, 'output') } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'OneMessage API', version: '1' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'a session token from /api/v1/auth/login, or an API key' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'om_session',
          description:
            "the editor's httpOnly session cookie, set by login; a state-changing call must also send the om_csrf cookie's value in the X-CSRF-Token header. A Bearer header wins over it.",
        },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
