import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { buildHttpApp } from '../platform/runtime/api.role.ts';
import { openRuntime, type Runtime } from '../platform/runtime/runtime.ts';
import { UsageRecorder } from '../platform/usage/usage-recorder.ts';
import { noPipelines } from './support/no-pipelines.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

const OPERATOR = { user: 'operator', password: 'operator-password-123' };
const OPERATOR_AUTH = `Basic ${Buffer.from(`${OPERATOR.user}:${OPERATOR.password}`).toString('base64')}`;

let env: TestEnv;
let rt: Runtime;
const servers: Server[] = [];

async function serve(overrides: Partial<Config>): Promise<string> {
  const app = buildHttpApp(
    { ...rt, config: { ...rt.config, operator: { token: null, basic: OPERATOR, metricsToken: null }, ...overrides } },
    noPipelines,
    new UsageRecorder({ orm: rt.orm, logger: rt.logger }),
  );
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The CSP's directives by name. */
function csp(res: Response): Map<string, string> {
  const header = res.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0]!, d.slice(d.split(/\s+/)[0]!.length).trim()]),
  );
}

let httpBase: string;
let httpsBase: string;

beforeAll(async () => {
  env = await createTestEnv();
  rt = await openRuntime(env.config, createLogger('silent'));
  httpBase = await serve({ publicUrl: 'http://localhost:3000' });
  httpsBase = await serve({ publicUrl: 'https://onemessage.example.com' });
});

afterAll(async () => {
  for (const server of servers) server.close();
  await rt?.queues.close(1_000);
  await rt?.redis.quit();
  await rt?.orm.close();
  await env?.cleanup();
});

const PAGES: [string, string, RequestInit][] = [
  ['the editor', '/', {}],
  [
    'an API route',
    '/api/v1/auth/login',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password' }),
    },
  ],
  ['the OpenAPI document', '/api/openapi.json', {}],
  ['an unknown API path (404)', '/api/v1/nothing-here', {}],
  ['an unknown page (404)', '/nothing-here', {}],
  ['a health probe', '/healthz', {}],
];

describe('when the server is reached over plain http', () => {
  it.each(PAGES)('%s carries a CSP with no inline script, nosniff, no framing and no referrer', async (_name, path, init) => {
    const res = await fetch(`${httpBase}${path}`, init);
    const policy = csp(res);
    expect(policy.get('default-src')).toBe("'self'");
    expect(policy.get('script-src')).toBe("'self'");
    expect(policy.get('script-src-attr')).toBe("'none'");
    expect(policy.get('object-src')).toBe("'none'");
    expect(policy.get('frame-ancestors')).toBe("'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('sends no HSTS and does not upgrade requests, so that http://localhost keeps working', async () => {
    const res = await fetch(`${httpBase}/`);
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(csp(res).has('upgrade-insecure-requests')).toBe(false);
  });
});

describe('when PUBLIC_URL is https', () => {
  it('sends HSTS for 180 days without subdomains, and upgrades insecure requests', async () => {
    const res = await fetch(`${httpsBase}/api/v1/nothing-here`);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=15552000');
    expect(csp(res).has('upgrade-insecure-requests')).toBe(true);
  });
});

describe('the queue dashboard', () => {
  it('has a CSP of its own: its styles and fonts, still no inline script and no framing', async () => {
    const res = await fetch(`${httpBase}/admin/queues`, { headers: { authorization: OPERATOR_AUTH } });
    expect(res.status).toBe(200);
    const policy = csp(res);
    expect(policy.get('script-src')).toBe("'self'");
    expect(policy.get('style-src')).toBe("'self' 'unsafe-inline' https://fonts.googleapis.com");
    expect(policy.get('font-src')).toBe("'self' https://fonts.gstatic.com");
    expect(policy.get('frame-ancestors')).toBe("'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});
