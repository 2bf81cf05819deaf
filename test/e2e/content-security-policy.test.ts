import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const EMAIL = `csp-${Date.now()}@example.com`;
const PASSWORD = 'correct horse battery';
const OPERATOR = { username: 'operator', password: 'operator-password-123' };

describe.skipIf(!HAS_CHROMIUM)('the Content-Security-Policy in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi({ ADMIN_USER: OPERATOR.username, ADMIN_PASSWORD: OPERATOR.password });
    base = `http://127.0.0.1:${api.process.port}`;
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: EMAIL,
      password: PASSWORD,
      name: 'Cass',
      workspaceName: 'Headers',
    });
    expect(signup.status).toBe(201);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('the editor logs in and draws a flow on the canvas with no violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const violations = violationRecorder();
    await violations.watch(context);
    const page = await context.newPage();
    await page.goto(base);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await screenshot(page, 'csp-01-editor-login');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.goto(`${base}/flows`);
    await page.getByLabel('New flow name').fill('Under a policy');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.waitForURL(/\/flows\/[0-9a-f-]+$/);
    // A new flow is empty: its template (a chunk loaded on demand) draws the nodes.
    await page.getByRole('button', { name: /Keyword auto-reply/ }).click();
    await page.locator('.react-flow__node').first().waitFor();
    await page.locator('[data-save-status="saved"]').waitFor();
    // Opened afresh on the flow's URL: the early prefetch script of index.html runs too.
    await page.reload();
    await page.locator('.react-flow__node').first().waitFor();
    await screenshot(page, 'csp-02-editor-canvas');
    expect(await violations.all()).toEqual([]);
    await context.close();
  });

  it('the queue dashboard opens with the operator basic credentials and runs under its own policy with no violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, httpCredentials: OPERATOR });
    const violations = violationRecorder();
    await violations.watch(context);
    const page = await context.newPage();
    const res = await page.goto(`${base}/admin/queues`);
    expect(res?.status()).toBe(200);
    // Bull Board's own scripts replaced its loading placeholder with the app and listed the queues over its API.
    await poll(() =>
      page
        .getByText('OneMessage queues')
        .first()
        .isVisible()
        .catch(() => false),
    ).toBe(true);
    await poll(() =>
      page
        .getByText('engine-inbox')
        .first()
        .isVisible()
        .catch(() => false),
    ).toBe(true);
    await poll(() => page.getByText('Loading...').count()).toBe(0);
    await screenshot(page, 'csp-03-queue-dashboard');
    expect(await violations.all()).toEqual([]);
    await context.close();
  });
});
