import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CrossOriginRedirectRefusedError,
  BlockedAddressError,
  HttpConnectionError,
  HttpTimeoutError,
  InvalidHttpRequestError,
  InvalidUrlError,
  ResponseTooLargeError,
  TooManyRedirectsError,
} from './http-request-errors.ts';
import type { HostResolver, ResolvedAddress } from './pinned-lookup.ts';
import { SafeHttpClient, USER_AGENT, type SafeHttpRequest } from './safe-http-client.ts';

/** A resolver over a fixed table, so no test touches real DNS; unknown names fail like NXDOMAIN. */
function fakeDns(table: Record<string, string[]>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

/** Makes any attempt to open a connection fail the test loudly, for cases that must be refused before connecting. */
function forbidConnections(): { attempts: () => number } {
  const onAttempt = (): never => {
    throw new Error('the client tried to open a connection');
  };
  const httpSpy = vi.spyOn(http, 'request').mockImplementation(onAttempt);
  const httpsSpy = vi.spyOn(https, 'request').mockImplementation(onAttempt);
  return { attempts: () => httpSpy.mock.calls.length + httpsSpy.mock.calls.length };
}

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let port: number;
const seen: Seen[] = [];

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
  });
}

/** 300,000 arrays one inside another: 600 kB, under the size cap. */
const DEEP_JSON = '['.repeat(300_000) + ']'.repeat(300_000);

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse, body: string) => void> = {
  '/json': (_req, res) => json(res, 200, { hello: 'world', n: 1 }),
  '/text': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('plain words');
  },
  '/missing': (_req, res) => json(res, 404, { error: 'no such customer' }),
  '/deep': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(DEEP_JSON);
  },
  '/echo': (req, res, body) => json(res, 200, { method: req.method, headers: req.headers, body }),
  '/loop': (_req, res) => {
    res.writeHead(302, { location: '/loop' });
    res.end();
  },
  '/see-other': (_req, res) => {
    res.writeHead(303, { location: '/echo' });
    res.end();
  },
  '/temporary': (_req, res) => {
    res.writeHead(307, { location: '/echo' });
    res.end();
  },
  '/never-answers': () => {
    // Holds the request open; the client's deadline must end it.
  },
  '/stalls-mid-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('the beginning of a body that never ends');
  },
  '/endless-stream': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(16_384, 0x61);
    const pump = setInterval(() => res.write(chunk), 1);
    res.on('close', () => clearInterval(pump));
  },
  '/declares-huge': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(50 * 1_048_576) });
    res.write('a few bytes, then a stall');
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    void readAll(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://placeholder');
      seen.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      const redirectTo = url.searchParams.get('to');
      if (url.pathname === '/redirect' && redirectTo !== null) {
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: redirectTo });
        res.end();
        return;
      }
      const route = routes[url.pathname];
      if (route) route(req, res, body);
      else json(res, 200, { path: url.pathname });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(() => {
  seen.length = 0;
  server.closeAllConnections();
  vi.restoreAllMocks();
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const local = (path: string): string => `http://127.0.0.1:${port}${path}`;

describe('SafeHttpClient', () => {
  describe('when the URL is an IP literal in a refused range', () => {
    let guard: ReturnType<typeof forbidConnections>;
    beforeEach(() => {
      guard = forbidConnections();
    });

    it.each([
      ['http://127.0.0.1/', '127.0.0.1', 'loopback'],
      ['http://127.0.0.1:6379/', '127.0.0.1', 'loopback'],
      ['http://2130706433/', '127.0.0.1', 'loopback'],
      ['http://0x7f.1/', '127.0.0.1', 'loopback'],
      ['http://0177.0.0.1/', '127.0.0.1', 'loopback'],
      ['http://127.1/', '127.0.0.1', 'loopback'],
      ['http://[::1]/', '::1', 'loopback'],
      ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1', 'loopback'],
      ['http://[::ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe', 'metadata'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'metadata'],
      ['http://0xa9fea9fe/', '169.254.169.254', 'metadata'],
      ['http://169.254.1.1/', '169.254.1.1', 'link_local'],
      ['http://10.0.0.1/', '10.0.0.1', 'private'],
      ['https://172.16.0.1/', '172.16.0.1', 'private'],
      ['http://192.168.1.1/', '192.168.1.1', 'private'],
      ['http://100.64.0.1/', '100.64.0.1', 'shared_address_space'],
      ['http://0.0.0.0/', '0.0.0.0', 'unspecified'],
      ['http://0/', '0.0.0.0', 'unspecified'],
      ['http://[::]/', '::', 'unspecified'],
      ['http://224.0.0.1/', '224.0.0.1', 'multicast'],
      ['http://255.255.255.255/', '255.255.255.255', 'broadcast'],
      ['http://[fe80::1]/', 'fe80::1', 'link_local'],
      ['http://[fc00::1]/', 'fc00::1', 'private'],
      ['http://[fd00:ec2::254]/', 'fd00:ec2::254', 'metadata'],
      ['http://[64:ff9b::7f00:1]/', '64:ff9b::7f00:1', 'loopback'],
      ['http://[2002:7f00:1::]/', '2002:7f00:1::', 'loopback'],
    ])('refuses %s before connecting', async (url, address, reason) => {
      const err = await new SafeHttpClient({ lookup: fakeDns({}) }).request({ method: 'GET', url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlockedAddressError);
      expect(err).toMatchObject({ code: 'http_blocked_address', disposition: 'never', address, reason });
      expect((err as Error).message).toBe(`${address} resolves to ${address}, which is refused (${reason})`);
      expect(guard.attempts()).toBe(0);
    });
  });

  describe('when the host name is internal by convention', () => {
    it.each(['http://metadata.google.internal/computeMetadata/v1/', 'http://localhost:8080/', 'http://localhost./', 'http://redis:6379/'])(
      'refuses %s without even resolving it',
      async (url) => {
        const guard = forbidConnections();
        const dns = fakeDns({ 'metadata.google.internal': ['8.8.8.8'], localhost: ['8.8.8.8'], redis: ['8.8.8.8'] });
        const err = await new SafeHttpClient({ lookup: dns }).request({ method: 'GET', url }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BlockedAddressError);
        expect(err).toMatchObject({ reason: 'internal_hostname', address: undefined });
        expect(dns.calls).toEqual([]);
        expect(guard.attempts()).toBe(0);
      },
    );
  });

  describe('when a public-looking host name resolves to a refused address', () => {
    it('refuses a name whose DNS answers a private address', async () => {
      const guard = forbidConnections();
      const dns = fakeDns({ 'crm.example.test': ['10.0.0.5'] });
      const err = await new SafeHttpClient({ lookup: dns })
        .request({ method: 'GET', url: 'https://crm.example.test/api' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlockedAddressError);
      expect(err).toMatchObject({
        hostname: 'crm.example.test',
        address: '10.0.0.5',
        reason: 'private',
        url: 'https://crm.example.test/api',
      });
      expect((err as Error).message).toBe('crm.example.test resolves to 10.0.0.5, which is refused (private)');
      expect(dns.calls).toEqual(['crm.example.test']);
      expect(guard.attempts()).toBe(0);
    });

    it.each([
      [['93.184.216.34', '192.168.0.10'], '192.168.0.10'],
      [['192.168.0.10', '93.184.216.34'], '192.168.0.10'],
      [['2606:2800:220:1::1', '::ffff:169.254.169.254'], '::ffff:169.254.169.254'],
    ])('refuses a DNS answer %j that mixes public and refused addresses', async (answer, refused) => {
      const guard = forbidConnections();
      const client = new SafeHttpClient({ lookup: fakeDns({ 'mixed.example.test': answer }) });
      const err = await client.request({ method: 'GET', url: 'http://mixed.example.test/' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlockedAddressError);
      expect(err).toMatchObject({ address: refused });
      expect(guard.attempts()).toBe(0);
    });
  });

  describe('when the URL is not one the client fetches', () => {
    it.each([
      ['not a url', 'not a url is not a valid URL'],
      ['file:///etc/passwd', 'only http and https URLs are allowed, not file:'],
      ['gopher://example.com/', 'only http and https URLs are allowed, not gopher:'],
      ['http://admin:secret@example.com/', 'credentials in the URL are not allowed; send them in a header'],
    ])('refuses %s as the user’s mistake', async (url, message) => {
      const err = await new SafeHttpClient({ lookup: fakeDns({}) }).request({ method: 'GET', url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidUrlError);
      expect(err).toMatchObject({ code: 'http_invalid_url', disposition: 'user', message });
      expect((err as InvalidUrlError).url).not.toContain('secret');
    });
  });

  describe('when the host is allow-listed', () => {
    const client = (): SafeHttpClient => new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });

    it('GETs JSON and parses it', async () => {
      const res = await client().request({ method: 'GET', url: local('/json') });
      expect(res).toMatchObject({ status: 200, body: { hello: 'world', n: 1 }, url: local('/json') });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.bytes).toBe(JSON.stringify({ hello: 'world', n: 1 }).length);
    });

    it('POSTs a JSON body with a JSON content type and the client’s User-Agent', async () => {
      const res = await client().request({
        method: 'POST',
        url: local('/echo'),
        headers: { 'X-Api-Key': 'k1' },
        body: { name: 'Ada', tags: ['vip'] },
      });
      const echoed = res.body as any;
      expect(echoed.method).toBe('POST');
      expect(JSON.parse(echoed.body)).toEqual({ name: 'Ada', tags: ['vip'] });
      expect(echoed.headers).toMatchObject({
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'x-api-key': 'k1',
        'accept-encoding': 'identity',
      });
    });

    it('returns text when the response is not JSON', async () => {
      expect((await client().request({ method: 'GET', url: local('/text') })).body).toBe('plain words');
    });

    // Regression: parsed, such a body overflowed the stack where the run was stored
    // (JSON.stringify), so the message that started the run failed until it was set aside, and
    // the run vanished without taking its error port.
    it('returns as text a JSON body nested deeper than the API accepts', async () => {
      expect((await client().request({ method: 'GET', url: local('/deep') })).body).toBe(DEEP_JSON);
    });

    it('returns a non-2xx response with its status instead of throwing', async () => {
      const res = await client().request({ method: 'GET', url: local('/missing') });
      expect(res).toMatchObject({ status: 404, body: { error: 'no such customer' } });
    });

    it('matches the allow-list case-insensitively and on the host only', async () => {
      const res = await new SafeHttpClient({ allowHosts: ['LOCALHOST'], lookup: fakeDns({ localhost: ['127.0.0.1'] }) }).request({
        method: 'GET',
        url: `http://LocalHost:${port}/json`,
      });
      expect(res.status).toBe(200);
    });
  });

  describe('when the allow-list holds something other than a bare host', () => {
    it('refuses the configuration', () => {
      expect(() => new SafeHttpClient({ allowHosts: ['127.0.0.1:8080'] })).toThrow(RangeError);
      expect(() => new SafeHttpClient({ allowHosts: ['http://crm.internal/'] })).toThrow(RangeError);
    });
  });

  describe('when a host name is resolved', () => {
    it('connects to the vetted address, resolving only once, and keeps the host name in the Host header', async () => {
      let answers = 0;
      const rebinding: HostResolver = async () => {
        answers += 1;
        // A rebinding DNS server: the check gets one answer, any later lookup another.
        return [{ address: answers === 1 ? '127.0.0.1' : '10.9.9.9', family: 4 }];
      };
      const client = new SafeHttpClient({ allowHosts: ['public.test'], lookup: rebinding });
      const res = await client.request({ method: 'GET', url: `http://public.test:${port}/echo` });
      expect(res.status).toBe(200);
      expect((res.body as any).headers.host).toBe(`public.test:${port}`);
      expect(answers).toBe(1);
    });

    it('reuses the connection for the next request to the same host, and still resolves and checks the host first', async () => {
      const connections: number[] = [];
      const onConnection = (socket: net.Socket): void => void connections.push(socket.remotePort ?? 0);
      server.on('connection', onConnection);
      try {
        const table: Record<string, string[]> = { 'public.test': ['127.0.0.1'] };
        const dns = fakeDns(table);
        const client = new SafeHttpClient({ allowHosts: ['public.test'], lookup: dns });
        for (let i = 0; i < 3; i++) {
          expect((await client.request({ method: 'POST', url: `http://public.test:${port}/echo`, body: { i } })).status).toBe(200);
        }
        expect(connections).toHaveLength(1);
        expect(dns.calls).toEqual(['public.test', 'public.test', 'public.test']);

        // The name stops resolving: with its connection still open, the request fails at the lookup and never reaches the server.
        delete table['public.test'];
        const err = await client.request({ method: 'GET', url: `http://public.test:${port}/secret` }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HttpConnectionError);
        expect(seen.map((s) => s.path)).toEqual(['/echo', '/echo', '/echo']);
        client.close();
      } finally {
        server.off('connection', onConnection);
      }
    });
  });

  describe('when a response redirects', () => {
    it('follows it and reports the final URL', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });
      const res = await client.request({ method: 'GET', url: local(`/redirect?to=${encodeURIComponent('/json')}`) });
      expect(res).toMatchObject({ status: 200, body: { hello: 'world', n: 1 }, url: local('/json') });
    });

    it('refuses a hop from an allow-listed host to a loopback host that is not allow-listed', async () => {
      const client = new SafeHttpClient({ allowHosts: ['localhost'], lookup: fakeDns({ localhost: ['127.0.0.1'] }) });
      const start = `http://localhost:${port}/redirect?to=${encodeURIComponent(local('/secret'))}`;
      const err = await client.request({ method: 'GET', url: start }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlockedAddressError);
      expect(err).toMatchObject({ url: local('/secret'), address: '127.0.0.1', reason: 'loopback' });
      expect(seen.map((s) => s.path)).toEqual(['/redirect']);
    });

    it('refuses a hop to an internal name even when the first host was allowed', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({ localhost: ['127.0.0.1'] }) });
      const err = await client
        .request({ method: 'GET', url: local(`/redirect?to=${encodeURIComponent(`http://localhost:${port}/secret`)}`) })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlockedAddressError);
      expect(err).toMatchObject({ hostname: 'localhost', reason: 'internal_hostname' });
      expect(seen.map((s) => s.path)).toEqual(['/redirect']);
    });

    it('refuses a hop to a public-looking name that resolves to loopback', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({ 'rebind.example.test': ['127.0.0.1'] }) });
      const err = await client
        .request({ method: 'GET', url: local(`/redirect?to=${encodeURIComponent(`http://rebind.example.test:${port}/secret`)}`) })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'BlockedAddressError', address: '127.0.0.1', reason: 'loopback' });
      expect(seen.map((s) => s.path)).toEqual(['/redirect']);
    });

    it('refuses a hop to a scheme other than http(s)', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });
      const err = await client
        .request({ method: 'GET', url: local(`/redirect?to=${encodeURIComponent('file:///etc/passwd')}`) })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidUrlError);
    });

    it('gives up on a redirect loop with TooManyRedirectsError', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });
      const err = await client.request({ method: 'GET', url: local('/loop') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TooManyRedirectsError);
      expect(err).toMatchObject({
        code: 'http_too_many_redirects',
        disposition: 'never',
        maxRedirects: 5,
        message: `more than 5 redirects, the last one to ${local('/loop')}`,
      });
      expect(seen).toHaveLength(6);
    });

    it('turns a POST into a GET without a body on 303', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });
      const res = await client.request({ method: 'POST', url: local('/see-other'), body: { a: 1 } });
      expect(res.body).toMatchObject({ method: 'GET', body: '' });
      expect((res.body as any).headers['content-type']).toBeUndefined();
    });

    it('keeps the method and the body on 307', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });
      const res = await client.request({ method: 'PUT', url: local('/temporary'), body: { a: 1 } });
      expect(res.body).toMatchObject({ method: 'PUT', body: '{"a":1}' });
    });

    it('drops the Authorization header when the redirect leaves the origin', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1', 'other.test'], lookup: fakeDns({ 'other.test': ['127.0.0.1'] }) });
      const crossOrigin = `http://other.test:${port}/echo`;
      const res = await client.request({
        method: 'GET',
        url: local(`/redirect?to=${encodeURIComponent(crossOrigin)}`),
        headers: { Authorization: 'Bearer t0k3n', 'X-Trace': 'kept' },
      });
      expect((res.body as any).headers.authorization).toBeUndefined();
      expect((res.body as any).headers['x-trace']).toBe('kept');
    });

    it('refuses a redirect to another origin when the request carries secrets, following one within the origin', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1', 'other.test'], lookup: fakeDns({ 'other.test': ['127.0.0.1'] }) });
      const crossOrigin = `http://other.test:${port}/echo`;
      const err = await client
        .request({
          method: 'POST',
          url: local(`/redirect?status=307&to=${encodeURIComponent(crossOrigin)}`),
          headers: { 'X-Api-Key': 'secret-value' },
          body: { key: 'secret-value' },
          sameOriginRedirectsOnly: true,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrossOriginRedirectRefusedError);
      expect(err).toMatchObject({ code: 'http_redirect_refused', disposition: 'never', url: crossOrigin });
      expect(seen.map((s) => s.path)).toEqual(['/redirect']);
      const same = await client.request({
        method: 'GET',
        url: local(`/redirect?to=${encodeURIComponent('/json')}`),
        sameOriginRedirectsOnly: true,
      });
      expect(same.status).toBe(200);
    });
  });

  describe('when the server is too slow', () => {
    it('fails with HttpTimeoutError when no response head arrives before the deadline', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });
      const started = Date.now();
      const err = await client.request({ method: 'GET', url: local('/never-answers'), timeoutMs: 200 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpTimeoutError);
      expect(err).toMatchObject({
        code: 'http_timeout',
        disposition: 'retry',
        timeoutMs: 200,
        message: `no complete response from ${local('/never-answers')} within 200 ms`,
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('fails with HttpTimeoutError when the body stalls before the deadline', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });
      const err = await client.request({ method: 'GET', url: local('/stalls-mid-body'), timeoutMs: 200 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpTimeoutError);
    });

    it('counts DNS resolution against the same deadline', async () => {
      const hanging: HostResolver = () => new Promise(() => {});
      const err = await new SafeHttpClient({ lookup: hanging })
        .request({ method: 'GET', url: 'http://slow-dns.example.test/', timeoutMs: 200 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpTimeoutError);
    });
  });

  describe('when the response is larger than the cap', () => {
    it('aborts a streamed body as soon as it passes the cap', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}), maxResponseBytes: 65_536 });
      const err = await client.request({ method: 'GET', url: local('/endless-stream') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResponseTooLargeError);
      expect(err).toMatchObject({
        code: 'http_response_too_large',
        disposition: 'never',
        maxBytes: 65_536,
        message: `the response from ${local('/endless-stream')} is larger than 65536 bytes`,
      });
    });

    it('refuses at once a body whose Content-Length exceeds the cap, without waiting for it', async () => {
      const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) });
      const err = await client.request({ method: 'GET', url: local('/declares-huge'), timeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResponseTooLargeError);
      expect(err).toMatchObject({ maxBytes: 1_048_576 });
    });

    it('never returns more than a Content-Length that understates the body', async () => {
      const liar = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n');
          socket.end('x'.repeat(200_000));
        });
      });
      await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
      try {
        const client = new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}), maxResponseBytes: 1_000 });
        const res = await client.request({ method: 'GET', url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}/` });
        expect(res).toMatchObject({ bytes: 10, body: 'x'.repeat(10) });
      } finally {
        await new Promise((resolve) => liar.close(resolve));
      }
    });
  });

  describe('when the server cannot be reached', () => {
    it('fails with HttpConnectionError, which may be retried', async () => {
      const closed = net.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const deadPort = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const err = await new SafeHttpClient({ allowHosts: ['127.0.0.1'], lookup: fakeDns({}) })
        .request({ method: 'GET', url: `http://127.0.0.1:${deadPort}/` })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpConnectionError);
      expect(err).toMatchObject({ code: 'http_connection_failed', disposition: 'retry' });
      expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    });

    it('fails with HttpConnectionError when the name does not resolve', async () => {
      const err = await new SafeHttpClient({ lookup: fakeDns({}) })
        .request({ method: 'GET', url: 'http://nowhere.example.test/' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpConnectionError);
      expect((err as Error).message).toBe(
        'could not reach http://nowhere.example.test/: ENOTFOUND (getaddrinfo ENOTFOUND nowhere.example.test)',
      );
    });
  });

  describe('when the request itself is malformed', () => {
    const client = new SafeHttpClient({ lookup: fakeDns({}) });

    const url = 'https://api.example.test/';
    it.each<[string, SafeHttpRequest, string]>([
      [
        'a Host header',
        { method: 'GET', url, headers: { Host: 'internal' } },
        'the Host header is set by the client and may not be overridden',
      ],
      [
        'a Transfer-Encoding header',
        { method: 'GET', url, headers: { 'Transfer-Encoding': 'chunked' } },
        'the Transfer-Encoding header is set by the client and may not be overridden',
      ],
      [
        'a header value with a line break',
        { method: 'GET', url, headers: { 'X-Bad': 'a\r\nInjected: 1' } },
        'the X-Bad header is not valid',
      ],
      ['a GET with a body', { method: 'GET', url, body: { a: 1 } }, 'a GET request has no body'],
      ['a body that is not JSON', { method: 'POST', url, body: { n: 1n } }, 'the body cannot be serialised as JSON'],
      ['a negative timeout', { method: 'GET', url, timeoutMs: -1 }, 'the timeout must be a positive number of milliseconds, not -1'],
    ])('refuses %s before sending', async (_label, req, message) => {
      const guard = forbidConnections();
      const err = await client.request(req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidHttpRequestError);
      expect(err).toMatchObject({ code: 'http_invalid_request', disposition: 'user', message });
      expect(guard.attempts()).toBe(0);
    });
  });
});
