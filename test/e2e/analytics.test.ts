import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/api-client.ts';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { eventually } from '../support/eventually.ts';
import { addSessionCookies } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const DEMO = { email: 'demo@onemessage.local', password: 'onemessage-demo' };
const SENDERS = ['+15550201001', '+15550201002', '+15550201003'];

describe.skipIf(!HAS_CHROMIUM)('flow analytics and the dashboard in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let base: string;
  let page: Page;
  let owner: ApiClient;
  let flowId: string;
  const violations = violationRecorder();

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi();
    base = `http://127.0.0.1:${api.process.port}`;
    const login = await api.client.post('/api/v1/auth/login', DEMO);
    owner = api.client.as(login.body.token as string);
    // The demo flow, run by real (not test-chat) contacts through the sandbox channel.
    flowId = (await owner.get('/api/v1/flows')).body.items[0].id as string;
    const channelId = (await owner.get('/api/v1/channels')).body.items[0].id as string;
    for (const from of SENDERS)
      expect((await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text: 'hi' })).status).toBeLessThan(300);
    await eventually(
      async () => ((await owner.get(`/api/v1/flows/${flowId}/analytics`)).body.totals.completed >= SENDERS.length ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 200, what: `the ${SENDERS.length} runs completed` },
    );
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await violations.watch(context);
    await addSessionCookies(context, base, login);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('counts per node the runs of the demo flow, and the completion rate, through the API', async () => {
    const { body } = await owner.get(`/api/v1/flows/${flowId}/analytics?lastRuns=100`);
    expect(body.totals).toMatchObject({ runs: 3, completed: 3, failed: 0, completionRate: 1, handOffRate: 0, optOuts: 0 });
    const flow = (await owner.get(`/api/v1/flows/${flowId}`)).body;
    const trigger = flow.document.nodes.find((n: { type: string }) => n.type === 'message_received').id as string;
    expect(body.nodes.find((n: { nodeId: string }) => n.nodeId === trigger)).toMatchObject({ reached: 3, stoppedHere: 0 });
    // Every node the demo's path passes counts the three runs; a window of the last run counts one.
    expect(body.nodes.every((n: { reached: number }) => n.reached === 3)).toBe(true);
    const last = await owner.get(`/api/v1/flows/${flowId}/analytics?lastRuns=1`);
    expect(last.body.totals.runs).toBe(1);
    expect(last.body.nodes.every((n: { reached: number }) => n.reached === 1)).toBe(true);
    const future = await owner.get(
      `/api/v1/flows/${flowId}/analytics?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    );
    expect(future.body.totals.runs).toBe(0);
  });

  it('draws the per-node counts on the canvas when analytics are shown', async () => {
    await page.goto(`${base}/flows/${flowId}`);
    const overlay = page.getByRole('region', { name: 'Flow analytics' });
    await overlay.getByRole('switch', { name: 'Show analytics' }).check();
    await poll(() => overlay.getByLabel('Flow totals').textContent()).toContain('100%');
    expect(await overlay.textContent()).toContain('Runs3');
    const badges = page.locator('[data-analytics-node]');
    await poll(() => badges.count()).toBeGreaterThan(1);
    for (const text of await badges.allTextContents()) expect(text).toContain('3 runs · 100%');
    await screenshot(page, 'analytics-01-canvas-counts');
  });

  it('shows messages per day, active conversations and the bot response time on the dashboard', async () => {
    await page.goto(`${base}/flows`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await poll(() => page.getByLabel('Active conversations (24 h)').textContent()).not.toBe('0');
    expect(await page.getByLabel('Bot reply time (median)').textContent()).toMatch(/\d+ s|min/);
    // A chart drawn by recharts (Mantine charts), with a bar per day.
    await poll(() => page.locator('.recharts-bar-rectangle path').count()).toBeGreaterThan(0);
    await screenshot(page, 'analytics-02-dashboard');
    const dashboard = (await owner.get('/api/v1/analytics/dashboard?days=7')).body;
    expect(dashboard.messagesPerDay).toHaveLength(7);
    const today = dashboard.messagesPerDay.at(-1);
    expect(today.inbound).toBeGreaterThanOrEqual(SENDERS.length);
    expect(today.outbound).toBeGreaterThanOrEqual(SENDERS.length);
  });

  it('the pages ran with no Content-Security-Policy violation', async () => {
    expect(await violations.all()).toEqual([]);
  });
});
