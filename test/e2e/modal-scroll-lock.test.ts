import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { addSessionCookies } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const DEMO = { email: 'demo@onemessage.local', password: 'onemessage-demo' };
/** A short window, so that every page is taller than it and can scroll. */
const VIEWPORT = { width: 1440, height: 240 };
/** Smooth scrolling ends well within this; read the position after it. */
const SCROLL_SETTLE_MS = 400;

describe.skipIf(!HAS_CHROMIUM)('a modal keeps the page behind it still, in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let base: string;
  let page: Page;
  const violations = violationRecorder();

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi();
    base = `http://127.0.0.1:${api.process.port}`;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: VIEWPORT });
    await violations.watch(context);
    await addSessionCookies(context, base, await api.client.post('/api/v1/auth/login', DEMO));
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  const scrollY = () => page.evaluate('window.scrollY') as Promise<number>;

  /** Wheel over the middle of the window, then the keys that scroll a page; where the page ended up. */
  async function tryToScroll(): Promise<number> {
    await page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height - 40);
    await page.mouse.wheel(0, 800);
    await page.keyboard.press('PageDown');
    await page.keyboard.press('End');
    await page.waitForTimeout(SCROLL_SETTLE_MS);
    return scrollY();
  }

  /** Opens `path` at the top, checks that it scrolls without a modal, and comes back to the top. */
  async function openScrollablePage(path: string, heading: string): Promise<void> {
    await page.goto(base + path);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    await poll(() => page.locator('[aria-busy="true"], .mantine-Loader-root').count()).toBe(0);
    // Without a modal the same gestures do scroll: the assertions below could fail.
    await page.locator('h1').click();
    expect(await tryToScroll()).toBeGreaterThan(0);
    await page.evaluate('window.scrollTo(0, 0)');
    await poll(scrollY).toBe(0);
  }

  it('the New contact modal: wheel and keys do not scroll the contacts page', async () => {
    await openScrollablePage('/contacts', 'Contacts');
    await page.getByRole('button', { name: 'New contact' }).click();
    await page.getByRole('dialog', { name: 'New contact' }).waitFor();
    expect(await tryToScroll()).toBe(0);
    expect(await page.evaluate('getComputedStyle(document.body).overflow')).toBe('hidden');
    await screenshot(page, 'modal-scroll-lock-new-contact');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'New contact' }).waitFor({ state: 'hidden' });
    // Closed, the page scrolls again.
    expect(await tryToScroll()).toBeGreaterThan(0);
  });

  it('locks the scroll with a style the Content-Security-Policy allows', async () => {
    expect(await violations.all()).toEqual([]);
  });
});
