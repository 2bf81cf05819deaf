import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { redactUrl } from '../../engine/redact-url.ts';
import { addressBlockReason, hostnameBlockReason, unbracket } from './address-policy.ts';
import {
  BlockedAddressError,
  HttpConnectionError,
  HttpRequestError,
  HttpTimeoutError,
  InvalidHttpRequestError,
  InvalidUrlError,
  CrossOriginRedirectRefusedError,
  TooManyRedirectsError,
} from './http-request-errors.ts';
import { pinnedLookup, systemResolver, type HostResolver } from './pinned-lookup.ts';
import { DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS, effectiveTimeoutMs } from './request-limits.ts';
import { decodeBody, readCappedBody } from './response-body.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SafeHttpClientOptions {
  /** Host names (or IP literals) that skip the address policy, matched exactly and case-insensitively; no ports. */
  allowHosts?: readonly string[];
  maxResponseBytes?: number;
  maxRedirects?: number;
  /** Used when a request sets no `timeoutMs`; capped at `MAX_TIMEOUT_MS` like any timeout. */
  defaultTimeoutMs?: number;
  /** Resolves host names; the system resolver unless a test injects one. */
  lookup?: HostResolver;
}

export interface SafeHttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /**
   * A body already serialised as JSON, sent byte for byte (instead of `body`): for signed
   * requests, whose signature covers these exact bytes.
   */
  jsonText?: string;
  /** Total deadline across redirects; capped at `MAX_TIMEOUT_MS`. */
  timeoutMs?: number;
  /**
   * Refuse (CrossOriginRedirectRefusedError) a redirect to another origin instead of following it:
   * set when the request carries secrets in places a redirect keeps (custom headers, the body).
   */
  sameOriginRedirectsOnly?: boolean;
}

export interface SafeHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the content type is JSON, text otherwise. */
  body: unknown;
  /** Size of the body as received, in bytes. */
  bytes: number;
  /** The URL that answered, after redirects. */
  url: string;
}

export const USER_AGENT = 'OneMessage-Flow/1';
const MAX_URL_LENGTH = 8_192;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
// Framing, routing and encoding are the client's business: a flow setting them could desynchronise the connection or bypass the size cap.
const MANAGED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
  'accept-encoding',
]);
/**
 * How long an idle kept-alive connection stays open: under the usual servers' own idle timeouts
 * (Node's 5 s, nginx's 75 s), so that it is seldom reused just as the server closes it.
 */
const IDLE_CONNECTION_MS = 4_000;
/** Dropped when a redirect leaves the origin, as browsers do: a token for one API must not reach another host. */
const ORIGIN_BOUND_HEADERS: readonly string[] = ['authorization', 'cookie'];

/**
 * Outbound HTTP for flows (the HTTP request node, media by URL) that cannot be pointed at the
 * server's own network: every hop's host is checked by name, resolved, every address checked,
 * and the socket connects to exactly the addresses checked. See README.md.
 */
export class SafeHttpClient {
  private readonly allowHosts: ReadonlySet<string>;
  private readonly maxResponseBytes: number;
  private readonly maxRedirects: number;
  private readonly defaultTimeoutMs: number;
  private readonly resolve: HostResolver;
  /*
   * Kept-alive connections, this client's own (so one allow-list's). Every socket in them was
   * dialled through a vetted lookup (`vet`, then `pinnedLookup`), and a pooled socket serves only
   * requests to the same host and port, each vetted again before it is sent (see README.md,
   * "Connection reuse"): reuse skips the connect, never the check.
   */
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
    https: new https.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
  };

  constructor(opts: SafeHttpClientOptions = {}) {
    this.allowHosts = new Set((opts.allowHosts ?? []).map(normaliseAllowedHost));
    this.maxResponseBytes = positiveInteger('maxResponseBytes', opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, 1);
    this.maxRedirects = positiveInteger('maxRedirects', opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS, 0);
    this.defaultTimeoutMs = effectiveTimeoutMs(
      undefined,
      positiveInteger('defaultTimeoutMs', opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, 1),
    );
    this.resolve = opts.lookup ?? systemResolver;
  }

  /** Closes the kept-alive connections (idle ones also close by themselves, and never keep the process alive). */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Sends the request, following redirects; a non-2xx status is a response, not an error. */
  async request(req: SafeHttpRequest): Promise<SafeHttpResponse> {
    let target = parseTarget(req.url);
    if (req.timeoutMs !== undefined && !(Number.isFinite(req.timeoutMs) && req.timeoutMs > 0)) {
      throw new InvalidHttpRequestError(target.href, `the timeout must be a positive number of milliseconds, not ${req.timeoutMs}`);
    }
    const timeoutMs = effectiveTimeoutMs(req.timeoutMs, this.defaultTimeoutMs);
    let method = req.method;
    const headers = buildHeaders(target.href, req.headers ?? {});
    let body = req.jsonText ?? serialiseBody(target.href, method, req.body);
    if (body !== undefined && !isJsonMediaType(headers['content-type'])) headers['content-type'] = 'application/json';

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      for (let redirects = 0; ; redirects++) {
        const lookup = await this.vet(target, deadline.signal);
        const agent = target.protocol === 'https:' ? this.agents.https : this.agents.http;
        const res = await send(target, method, headers, body, lookup, agent, deadline.signal);
        const location = res.headers.location;
        if (!REDIRECT_STATUSES.has(res.statusCode ?? 0) || location === undefined) {
          const raw = await readCappedBody(res, this.maxResponseBytes, target.href, deadline.signal);
          return {
            status: res.statusCode ?? 0,
            headers: flattenHeaders(res),
            body: decodeBody(raw, res.headers['content-type']),
            bytes: raw.length,
            url: target.href,
          };
        }
        res.destroy();
        const next = parseTarget(location, target);
        if (redirects >= this.maxRedirects) throw new TooManyRedirectsError(next.href, this.maxRedirects);
        if (req.sameOriginRedirectsOnly && next.origin !== target.origin) throw new CrossOriginRedirectRefusedError(next.href, target.href);
        if (changesMethodToGet(res.statusCode ?? 0, method)) {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        if (next.origin !== target.origin) for (const name of ORIGIN_BOUND_HEADERS) delete headers[name];
        target = next;
      }
    } catch (err) {
      if (err instanceof HttpRequestError) throw err;
      if (deadline.signal.aborted) throw new HttpTimeoutError(target.href, timeoutMs);
      throw new HttpConnectionError(target.href, err);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Applies the address policy to one hop and returns the `lookup` that pins its connection, or
   * `undefined` for an IP literal (the socket does no lookup then).
   */
  private async vet(target: URL, signal: AbortSignal): Promise<LookupFunction | undefined> {
    const hostname = unbracket(target.hostname);
    const allowed = this.allowHosts.has(hostname);
    if (isIP(hostname) !== 0) {
      const reason = allowed ? undefined : addressBlockReason(hostname);
      if (reason !== undefined) throw new BlockedAddressError(target.href, hostname, reason, hostname);
      return undefined;
    }
    const nameReason = allowed ? undefined : hostnameBlockReason(hostname);
    if (nameReason !== undefined) throw new BlockedAddressError(target.href, hostname, nameReason);

    const addresses = await untilAborted(this.resolve(hostname), signal);
    if (addresses.length === 0) throw new HttpConnectionError(target.href, new Error(`${hostname} has no address`));
    // Every address, not just the first: the socket may fall back to any of them.
    for (const { address } of allowed ? [] : addresses) {
      const reason = addressBlockReason(address);
      if (reason !== undefined) throw new BlockedAddressError(target.href, hostname, reason, address);
    }
    return pinnedLookup(addresses);
  }
}

/** One hop: resolves when the response head arrives. */
function send(
  target: URL,
  method: HttpMethod,
  headers: OutgoingHttpHeaders,
  body: string | undefined,
  lookup: LookupFunction | undefined,
  agent: http.Agent,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const host = unbracket(target.hostname);
  const secure = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({
      protocol: target.protocol,
      hostname: host,
      port: target.port === '' ? undefined : Number(target.port),
      path: `${target.pathname}${target.search}`,
      method,
      headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      // The Host header and the TLS server name stay the URL's host name, so certificates verify
      // against it; only the address the socket dials comes from `lookup`.
      ...(secure && isIP(host) === 0 ? { servername: host } : {}),
      ...(lookup === undefined ? {} : { lookup }),
      // A new socket dials through `lookup`; a pooled one was dialled through an earlier vetted lookup.
      agent,
      signal,
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end(body);
  });
}

function parseTarget(raw: string, base?: URL): URL {
  if (raw.length > MAX_URL_LENGTH)
    throw new InvalidUrlError(base?.href ?? raw.slice(0, 200), `the URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch (cause) {
    throw new InvalidUrlError(raw, base === undefined ? `${raw} is not a valid URL` : `${base.href} redirected to an invalid URL`, {
      cause,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidUrlError(url.href, `only http and https URLs are allowed, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '')
    throw new InvalidUrlError(redactUrl(url), 'credentials in the URL are not allowed; send them in a header');
  return url;
}

function buildHeaders(url: string, given: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json, text/*;q=0.9, */*;q=0.8' };
  for (const [name, value] of Object.entries(given)) {
    const key = name.toLowerCase();
    if (MANAGED_HEADERS.has(key))
      throw new InvalidHttpRequestError(url, `the ${name} header is set by the client and may not be overridden`);
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch (cause) {
      throw new InvalidHttpRequestError(url, `the ${name} header is not valid`, { cause });
    }
    headers[key] = value;
  }
  // The size cap counts bytes on the wire; a compressed body would expand past it after the count.
  headers['accept-encoding'] = 'identity';
  return headers;
}

function serialiseBody(url: string, method: HttpMethod, body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (method === 'GET') throw new InvalidHttpRequestError(url, 'a GET request has no body');
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch (cause) {
    throw new InvalidHttpRequestError(url, 'the body cannot be serialised as JSON', { cause });
  }
  if (json === undefined) throw new InvalidHttpRequestError(url, 'the body cannot be serialised as JSON');
  return json;
}

function isJsonMediaType(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || media.endsWith('+json');
}

/** 303 turns anything into GET; 301 and 302 turn POST into GET (what every client does); 307 and 308 keep the method. */
function changesMethodToGet(status: number, method: HttpMethod): boolean {
  if (method === 'GET') return false;
  return status === 303 || ((status === 301 || status === 302) && method === 'POST');
}

function flattenHeaders(res: IncomingMessage): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function normaliseAllowedHost(entry: string): string {
  let url: URL | undefined;
  try {
    url = new URL(`http://${entry}`);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.host !== url.hostname || url.pathname !== '/' || url.username !== '' || url.search !== '') {
    throw new RangeError(`allowHosts: ${JSON.stringify(entry)} is not a bare host name or IP address`);
  }
  return unbracket(url.hostname);
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer of at least ${min}, not ${value}`);
  return value;
}

/** `promise`, or a rejection as soon as the deadline passes (a DNS lookup cannot be cancelled, only abandoned). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
