import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsFixture, HOUR_MS, type Workspace } from '../support/analytics-fixture.ts';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { publishFlow } from '../support/publish-flow.ts';
import { signedInPage } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const ago = (hours: number) => new Date(Date.now() - hours * HOUR_MS);

describe.skipIf(!HAS_CHROMIUM)(
  'the comparison of recent broadcasts and the canvas date range in Chromium',
  { timeout: E2E_TEST_TIMEOUT_MS },
  () => {
    let api: TestApi;
    let browser: Browser;
    let base: string;
    let page: Page;
    let shop: Workspace;
    let spring: string;
    let flowId: string;
    const violations = violationRecorder();

    beforeAll(async () => {
      ensureEditorBuilt();
      api = await startTestApi();
      base = `http://127.0.0.1:${api.process.port}`;
      const f = analyticsFixture(api);
      shop = await f.signUp('marketer-shop');
      const c = await Promise.all(Array.from({ length: 5 }, () => f.contact(shop)));
      // Spring sale, 2 days ago: 4 recipients, all delivered, 2 replied, 1 opted out.
      const springAt = ago(48);
      spring = await f.broadcast(shop, 'Spring sale', springAt);
      for (const [i, contact] of c.slice(0, 4).entries()) {
        const { deliveredAt } = await f.recipient(spring, contact, {
          reached: i < 2 ? 'read' : 'delivered',
          sentAt: springAt,
          optedOutAt: i === 1 ? f.plus(springAt, 1) : undefined,
        });
        if (i < 2) await f.reply(contact, f.plus(deliveredAt, 1));
      }
      // Winter promo, 5 days ago: 3 recipients, 2 delivered and both replied, one only sent.
      const winterAt = ago(120);
      const winter = await f.broadcast(shop, 'Winter promo', winterAt);
      for (const [i, contact] of [c[2]!, c[3]!, c[4]!].entries()) {
        const { deliveredAt } = await f.recipient(winter, contact, { reached: i < 2 ? 'delivered' : 'sent', sentAt: winterAt });
        if (i < 2) await f.reply(contact, f.plus(deliveredAt, 2));
      }
      expect(winter).toMatch(/^[0-9a-f-]{36}$/);

      // A flow with one run today, one 3 days ago and three 10 days ago.
      const flow = await publishFlow(api, shop.workspaceId, f.FLOW_DOCUMENT, 'Welcome');
      flowId = flow.flowId;
      const steps: [string, string, string | null][] = [
        ['trigger', 'message_received', 'out'],
        ['end', 'end', null],
      ];
      for (const hours of [0.01, 72, 240, 241, 242]) await f.run(flow, c[0]!, { status: 'completed', startedAt: ago(hours), steps });

      browser = await launchChromium();
      page = await signedInPage(browser, base, shop.session, violations);
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await api?.close();
    });

    it('compares the recent broadcasts, sorts them by reply rate and opens one', async () => {
      await page.goto(`${base}/broadcasts`);
      await page.getByRole('tab', { name: 'Compare recent' }).click();
      await page.waitForURL(/view=compare/);
      const table = page.getByRole('table', { name: 'Recent broadcasts compared' });
      const names = () => table.locator('tbody tr td:first-child').allTextContents();
      await poll(names).toEqual(['Spring sale', 'Winter promo']);
      const springRow = table.locator(`tr[data-broadcast="${spring}"]`);
      expect(await springRow.locator('[data-number="delivered"]').textContent()).toBe('100%');
      expect(await springRow.locator('[data-number="replied"]').textContent()).toBe('50%');
      expect(await springRow.locator('[data-number="opted-out"]').textContent()).toBe('25%');
      const winter = table.locator('tbody tr').nth(1);
      expect(await winter.locator('[data-number="delivered"]').textContent()).toBe('66%');
      expect(await winter.locator('[data-number="replied"]').textContent()).toBe('100%');
      // The column's definition on hover.
      await table.getByText('Replied', { exact: true }).hover();
      await page.getByText(/at most 72 hours after it was delivered/).waitFor();
      await screenshot(page, 'broadcast-analytics-01-comparison');

      await table.getByRole('button', { name: 'Sort by Replied' }).click();
      await poll(names).toEqual(['Winter promo', 'Spring sale']);
      expect(await table.locator('th', { hasText: 'Replied' }).getAttribute('aria-sort')).toBe('descending');
      await table.getByRole('button', { name: 'Sort by Replied' }).click();
      await poll(names).toEqual(['Spring sale', 'Winter promo']);
      await table.getByRole('button', { name: 'Sort by Name' }).click();
      await poll(names).toEqual(['Spring sale', 'Winter promo']);

      await table.getByRole('link', { name: 'Spring sale' }).click();
      await page.waitForURL(`${base}/broadcasts/${spring}`);
      await poll(() => page.locator('[data-rate="replied"]').textContent()).toBe('50%');
      expect(await page.locator('[data-rate="opted-out"]').textContent()).toBe('25%');
      expect(await page.getByLabel('After delivery').textContent()).toContain('2 of 4 delivered replied');
      await screenshot(page, 'broadcast-analytics-02-detail-rates');
    });

    it('counts the runs of a date range on the canvas', async () => {
      await page.goto(`${base}/flows/${flowId}`);
      const overlay = page.getByRole('region', { name: 'Flow analytics' });
      await overlay.getByRole('switch', { name: 'Show analytics' }).check();
      const totals = overlay.getByLabel('Flow totals');
      await poll(() => totals.textContent()).toContain('Runs5');
      await overlay.getByText('Date range').click();
      // The last seven days at first: today's run and the one of 3 days ago.
      await poll(() => totals.textContent()).toContain('Runs2');
      await poll(() => page.locator('[data-analytics-node="trigger"]').textContent()).toContain('2 runs · 100%');
      await screenshot(page, 'broadcast-analytics-03-canvas-last-7-days');
      // Today only: the first and last day of the range are both today.
      await overlay.getByLabel('Runs started on').click();
      const today = page.locator('button[data-today]');
      await today.click();
      await today.click();
      await poll(() => totals.textContent()).toContain('Runs1');
      await page.keyboard.press('Escape');
      await screenshot(page, 'broadcast-analytics-04-canvas-today');
      await overlay.getByText('Last runs').click();
      await poll(() => totals.textContent()).toContain('Runs5');
    });

    it('the pages ran with no Content-Security-Policy violation', async () => {
      expect(await violations.all()).toEqual([]);
    });
  },
);
