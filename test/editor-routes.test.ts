import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEditorPath } from '../api/editor-app.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { ensureEditorBuilt } from './e2e/support/editor-build.ts';

let api: TestApi;
let base: string;

beforeAll(async () => {
  ensureEditorBuilt();
  api = await startTestApi();
  base = `http://127.0.0.1:${api.process.port}`;
}, 120_000);

afterAll(async () => {
  await api?.close();
});

describe('when a browser opens a page of the editor by its path', () => {
  it.each(['/', '/flows', '/broadcasts/0190a000-0000-7000-8000-000000000000', '/settings/members', '/invitations/accept', '/no/such/page'])(
    'answers %s with the app, never cached',
    async (path) => {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="root"></div>');
    },
  );

  it("puts this response's CSP style nonce into the page, a new one each time", async () => {
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/flows`);
      const csp = res.headers.get('content-security-policy') ?? '';
      const header = /style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
      const meta = /<meta name="csp-nonce" content="([^"]+)">/.exec(await res.text())?.[1];
      expect(header).toBeTruthy();
      expect(meta).toBe(header);
      nonces.push(meta);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it('serves the favicon', async () => {
    const res = await fetch(`${base}/favicon.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });
});

describe('when a path is not the editor', () => {
  it.each(['/api/nothing-here', '/api/v1/nothing-here', '/v1/flows', '/hooks/nothing', '/assets/missing.js', '/missing.png'])(
    'answers GET %s with the JSON 404, not the app nor "Cannot GET"',
    async (path) => {
      const res = await fetch(base + path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: { code: 'route_not_found', message: `no route GET ${path}` } });
    },
  );

  it('answers a POST to an editor path with the JSON 404', async () => {
    const res = await fetch(`${base}/flows`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });

  it('tells editor paths from reserved prefixes and file names', () => {
    expect(isEditorPath('/flows/abc')).toBe(true);
    expect(isEditorPath('/api-docs')).toBe(false);
    expect(isEditorPath('/apis')).toBe(true);
    expect(isEditorPath('/favicon.ico')).toBe(false);
  });
});

describe('the API reference', () => {
  it('serves Swagger UI from this server over the OpenAPI document, with no inline script', async () => {
    const page = await fetch(`${base}/api-docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/api-docs/swagger-ui-bundle.js');
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    expect(html).not.toContain('https://');
    const init = await fetch(`${base}/api-docs/init.js`);
    expect(await init.text()).toContain("url: '/api/openapi.json'");
    const bundle = await fetch(`${base}/api-docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await fetch(`${base}/api-docs`, { redirect: 'manual' })).headers.get('location')).toBe('/api-docs/');
  });
});
