import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import type { ApiClient } from '../support/api-client.ts';
import { addSessionCookies } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';
import { pagesOfRoutes, type RouteLike } from './support/route-walk.ts';

const DEMO = { email: 'demo@onemessage.local', password: 'onemessage-demo' };
/** A laptop, and a narrow window where the sidebar becomes a menu and the editor's panels drawers. */
const WIDTHS = [1440, 800] as const;
/** Each page gets this long to show its data after its loaders are gone (charts animate in). */
const SETTLE_MS = 400;
/** Walking ~30 pages twice, a screenshot each, on a busy 2-core machine. */
const WALK_TIMEOUT_MS = 600_000;

describe.skipIf(!HAS_CHROMIUM)('every page of the router, signed in as the demo owner, at 1440 and 800 px', () => {
  let api: TestApi;
  let owner: ApiClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const violations = violationRecorder();
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi();
    base = `http://127.0.0.1:${api.process.port}`;
    const login = await api.client.post('/api/v1/auth/login', DEMO);
    expect(login.status).toBe(200);
    owner = api.client.as(login.body.token);
    // The demo workspace has flows, contacts and conversations; a broadcast is added so that
    // its pages have one to show.
    const channels = await owner.get('/api/v1/channels');
    const sandbox = (channels.body.items as { id: string; kind: string }[]).find((c) => c.kind === 'sandbox');
    expect(sandbox).toBeDefined();
    const broadcast = await owner.post('/api/v1/broadcasts', {
      name: 'Spring sale',
      channelId: sandbox!.id,
      audience: { kind: 'phones', phones: ['+15550000001'] },
      content: { kind: 'message', text: 'Hello' },
      schedule: { kind: 'now' },
    });
    expect(broadcast.status).toBe(201);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: WIDTHS[0], height: 900 } });
    await violations.watch(context);
    await addSessionCookies(context, base, login);
    page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  /**
   * The id a route parameter names, read from the API: `:flowId` is the first of GET /flows,
   * `:contactId` of GET /contacts, and so on. A new page's parameter is found the same way as
   * long as its collection follows that naming and has an item.
   */
  async function sampleId(param: string): Promise<string> {
    const collection = `${param.replace(/Id$/, '')}s`;
    const answer = await owner.get(`/api/v1/${collection}?limit=1`);
    const first = (answer.body?.items as { id: string }[] | undefined)?.[0];
    if (answer.status !== 200 || !first)
      throw new Error(
        `no :${param} to visit: GET /api/v1/${collection} answered ${answer.status} with ${first ? 'items' : 'no item'}; create one in this test's setup`,
      );
    return first.id;
  }

  it('shows each page with no overflow, no clipped badge, no console error or CSP violation', { timeout: WALK_TIMEOUT_MS }, async () => {
    // At run time, through a variable: the tests' tsconfig has neither JSX nor the DOM's types.
    const routerModule = '../../editor/src/router.tsx';
    const { routes } = (await import(routerModule)) as { routes: RouteLike[] };
    const pages = pagesOfRoutes(routes);
    // The walk would say nothing if it found no page (the router moved, its shape changed).
    expect(pages.length).toBeGreaterThan(20);
    const ids = new Map<string, string>();
    const problems: string[] = [];
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const { path, params } of pages) {
        let url = path;
        for (const param of params) {
          if (!ids.has(param)) ids.set(param, await sampleId(param));
          url = url.replace(`:${param}`, ids.get(param)!);
        }
        await page.goto(base + url);
        await waitUntilShown(page);
        const name = path.replace(/^\//, '').replace(/[/:]+/g, '-');
        await screenshot(page, `walk-${name}-${width}`);
        const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        if ((overflow as number) > 0) problems.push(`${url} at ${width} px is ${String(overflow)} px wider than the window`);
        // A badge's words cut to an ellipsis ("VERSIO…" in a narrow table column) read as a broken page.
        const clipped = (await page.evaluate(
          "[...document.querySelectorAll('.mantine-Badge-label')].filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent)",
        )) as string[];
        if (clipped.length > 0) problems.push(`${url} at ${width} px cuts badges short: ${clipped.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(await violations.all()).toEqual([]);
  });
});

/** A page is shown when its main region or canvas is there and no loader is left. */
async function waitUntilShown(page: Page): Promise<void> {
  await page.locator('main, .react-flow').first().waitFor();
  await poll(() => page.locator('[aria-busy="true"], .mantine-Loader-root').count()).toBe(0);
  await page.waitForTimeout(SETTLE_MS);
}

// Run alone with its own timeout: the walk is one test of many pages.
describe.skipIf(!HAS_CHROMIUM)('the page walk', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('finds every path of a nested route table, its parameters, and no redirect', () => {
    const redirect = { type: { name: 'Navigate' } };
    const routes: RouteLike[] = [
      {
        children: [
          { path: '/a', element: {} },
          {
            children: [
              { path: '/b/:bId', element: {} },
              { path: '/c', children: [{ index: true }, { path: ':cId' }] },
              { path: '/old', element: redirect },
              { path: '*', element: {} },
            ],
          },
        ],
      },
    ];
    expect(pagesOfRoutes(routes)).toEqual([
      { path: '/a', params: [] },
      { path: '/b/:bId', params: ['bId'] },
      { path: '/c', params: [] },
      { path: '/c/:cId', params: ['cId'] },
      { path: '/nothing-here', params: [] },
    ]);
  });
});
