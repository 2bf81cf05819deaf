import { z } from 'zod';
import { IdentifierSchema } from '../flow-identifiers.ts';
import { defineNode, type ConfigPath } from '../node-definition.ts';

/** Upper bound of an HTTP request node's timeout (the limit). */
export const MAX_HTTP_TIMEOUT_MS = 10_000;
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

// The runtime sets these itself; letting a flow set them would break framing or the SSRF guard.
const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'keep-alive',
]);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export const HttpHeaderSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(HEADER_NAME, 'is not a valid header name')
    .refine((name) => !FORBIDDEN_HEADERS.has(name.toLowerCase()), 'is set by the platform and may not be overridden'),
  /** Template; credentials belong in `{{secrets.NAME}}`, not in the flow document. */
  value: z.string().max(2_000),
});

export const HttpRequestConfigSchema = z
  .strictObject({
    method: z.enum(HTTP_METHODS).default('GET'),
    /** Template of an absolute http(s) URL; values are URL-encoded when substituted. */
    url: z
      .string()
      .max(2_000)
      .regex(/^https?:\/\/[^/{}\s]/i, 'must start with http:// or https:// followed by a host'),
    headers: z.array(HttpHeaderSchema).max(20).default([]),
    /** JSON sent as the body; every string in it is a template. */
    body: z.json().optional(),
    timeoutMs: z.number().int().min(100).max(MAX_HTTP_TIMEOUT_MS).default(5_000),
    /** Run variable that receives `{ status, headers, body }` (or `{ error }` on the error port). */
    resultVariable: IdentifierSchema.default('response'),
  })
  .refine((c) => c.body === undefined || c.method !== 'GET', { message: 'a GET request has no body', path: ['body'] });
export type HttpRequestConfig = z.output<typeof HttpRequestConfigSchema>;

/** Every string inside a JSON value, with its path. */
function stringsIn(value: unknown, path: ConfigPath): { path: ConfigPath; source: string }[] {
  if (typeof value === 'string') return [{ path, source: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsIn(item, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => stringsIn(item, [...path, key]));
  return [];
}

export const httpRequestNode = defineNode({
  type: 'http_request',
  category: 'action',
  label: 'HTTP request',
  description: 'Calls an external HTTP API (public addresses only) and keeps the response in a variable.',
  configSchema: HttpRequestConfigSchema,
  defaultConfig: {
    method: 'GET',
    url: 'https://api.example.com/customers?phone={{contact.phone}}',
    headers: [],
    timeoutMs: 5_000,
    resultVariable: 'response',
  },
  waits: false,
  callsOut: true,
  outputs: () => [
    { id: 'success', label: 'Success' },
    { id: 'error', label: 'Error' },
  ],
  // The only node whose templates may name secrets: they go to the API it calls, never to a contact.
  expressions: (config) => {
    const bodyStrings = stringsIn(config.body, ['body']);
    return {
      templates: [
        { path: ['url'], source: config.url, allowsSecrets: true },
        ...config.headers.map((h, i) => ({ path: ['headers', i, 'value'], source: h.value, allowsSecrets: true })),
        ...bodyStrings.map((t) => ({ ...t, allowsSecrets: true })),
      ],
      outgoingText: [
        { path: ['url'], value: config.url },
        ...config.headers.map((h, i) => ({ path: ['headers', i, 'value'], value: h.value, headerName: h.name })),
        ...bodyStrings.map((t) => ({ path: t.path, value: t.source })),
      ],
    };
  },
});
