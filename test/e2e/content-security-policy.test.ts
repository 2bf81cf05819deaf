import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const EMAIL = `csp-${Date.now()}@example.com`;
const PASSWORD = 'correct horse battery';
const OPERATOR = { username: 'operator', password: 'operator-password-123' };

/**
 * Records every CSP violation of the pages of a context: the `securitypolicyviolation` events
 * (listened to by an init script, which the page's own CSP does not govern) and Chromium's
 * console reports of refused resources.
 */
async function recordViolations(context: BrowserContext): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  const pages: Page[] = [];
  // A string: the test's tsconfig has no DOM types, and this runs in the page.
  await context.addInitScript(`
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')'));
  `);
  context.on('page', (page) => {
    pages.push(page);
    page.on('console', (msg) => {
      if (/content security policy/i.test(msg.text())) fromConsole.push(msg.text());
    });
  });
  return async () => {
    const fromEvents: string[] = [];
    for (const page of pages) fromEvents.push(...((await page.evaluate('window.__cspViolations ?? []')) as string[]));
    return [...fromEvents, ...fromConsole];
  };
}

describe.skipIf(!HAS_CHROMIUM)('the Content-Security-Policy in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi({ ADMIN_USER: OPERATOR.username, ADMIN_PASSWORD: OPERATOR.password });
    base = `http://127.0.0.1:${api.process.port}`;
    const signup = await api.client.post('/api/v1/auth/signup', { email: EMAIL, password: PASSWORD, name: 'Cass', workspaceName: 'Headers' });
    expect(signup.status).toBe(201);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('the editor logs in and draws a flow on the canvas with no violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const violations = await recordViolations(context);
    const page = await context.newPage();
    await page.goto(base);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await screenshot(page, 'csp-01-editor-login');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.goto(`${base}/#/flows`);
    await page.getByLabel('New flow name').fill('Under a policy');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.waitForURL(/#\/flows\/[0-9a-f-]+$/);
    await page.locator('.react-flow__node').first().waitFor();
    // Opened afresh on the flow's URL: the early prefetch script of index.html runs too.
    await page.reload();
    await page.locator('.react-flow__node').first().waitFor();
    await screenshot(page, 'csp-02-editor-canvas');
    expect(await violations()).toEqual([]);
    await context.close();
  });

  it('the queue dashboard opens with the operator basic credentials and runs under its own policy with no violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, httpCredentials: OPERATOR });
    const violations = await recordViolations(context);
    const page = await context.newPage();
    const res = await page.goto(`${base}/admin/queues`);
    expect(res?.status()).toBe(200);
    // Bull Board's own scripts replaced its loading placeholder with the app and listed the queues over its API.
    await poll(() => page.getByText('OneMessage queues').first().isVisible().catch(() => false)).toBe(true);
    await poll(() => page.getByText('engine-inbox').first().isVisible().catch(() => false)).toBe(true);
    await poll(() => page.getByText('Loading...').count()).toBe(0);
    await screenshot(page, 'csp-03-queue-dashboard');
    expect(await violations()).toEqual([]);
    await context.close();
  });
});
