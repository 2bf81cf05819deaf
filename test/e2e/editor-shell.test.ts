import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import type { ApiClient } from '../support/api-client.ts';
import { addSessionCookies } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const EMAIL = `shell-${Date.now()}@example.com`;
const PASSWORD = 'correct horse battery';
/** The widths every page is looked at: a laptop, and a narrow window where the sidebar becomes a menu. */
const WIDTHS = [1440, 800] as const;

describe.skipIf(!HAS_CHROMIUM)(
  'the editor shell: real URLs, Not found, plain-language channel states, in Chromium',
  { timeout: E2E_TEST_TIMEOUT_MS },
  () => {
    let api: TestApi;
    let owner: ApiClient;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let base: string;
    let broadcastId: string;
    let whatsappId: string;
    const violations = violationRecorder();

    const setChannelState = (id: string, status: string, reason: string | null) =>
      runSql(api.env.orm.em.fork(), `update channels set status = :status, status_reason = :reason where id = cast(:id as uuid)`, {
        id,
        status,
        reason,
      });

    beforeAll(async () => {
      ensureEditorBuilt();
      api = await startTestApi();
      base = `http://127.0.0.1:${api.process.port}`;
      const signup = await api.client.post('/api/v1/auth/signup', {
        email: EMAIL,
        password: PASSWORD,
        name: 'Sol',
        workspaceName: 'Shell',
      });
      expect(signup.status).toBe(201);
      owner = api.client.as(signup.body.token);
      const sandbox = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Test line' });
      const draft = await owner.post('/api/v1/broadcasts', {
        name: 'Autumn offer',
        channelId: sandbox.body.id,
        audience: { kind: 'phones', phones: ['+15550000001'] },
        content: { kind: 'message', text: 'Hello' },
        schedule: { kind: 'now' },
      });
      expect(draft.status).toBe(201);
      broadcastId = draft.body.id;
      // A WhatsApp number whose connection is never started here: its state is written as the connector would.
      whatsappId = (await owner.post('/api/v1/channels', { kind: 'whatsapp', name: 'Sales phone' })).body.id;
      await owner.post('/api/v1/flows', { name: 'Welcome' });
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      await violations.watch(context);
      await addSessionCookies(context, base, signup);
      page = await context.newPage();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await api?.close();
    });

    it("reloads a deep link to itself: a broadcast's own URL", async () => {
      await page.goto(`${base}/broadcasts/${broadcastId}`);
      await page.getByRole('heading', { name: 'Autumn offer', level: 1 }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Autumn offer', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/broadcasts/${broadcastId}`);
      expect(await page.locator('main [data-state]').first().getAttribute('data-state')).toBe('draft');
    });

    it('turns an old hash link into its path', async () => {
      await page.goto(`${base}/#/broadcasts/${broadcastId}`);
      await page.waitForURL(`${base}/broadcasts/${broadcastId}`);
      await page.getByRole('heading', { name: 'Autumn offer', level: 1 }).waitFor();
    });

    it('shows Not found for an unknown page, inside the app, with a way back', async () => {
      const res = await page.goto(`${base}/no/such/page`);
      expect(res?.status()).toBe(200);
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
      await page.getByRole('link', { name: 'Go to your flows' }).click();
      await page.getByRole('heading', { name: 'Flows', level: 1 }).waitFor();
    });

    it('answers an unknown API path with the JSON error, never the app or "Cannot GET"', async () => {
      const res = await page.goto(`${base}/api/v1/no-such-thing`);
      expect(res?.status()).toBe(404);
      expect(res?.headers()['content-type']).toMatch(/^application\/json/);
      expect(await res?.json()).toEqual({ error: { code: 'route_not_found', message: 'no route GET /api/v1/no-such-thing' } });
    });

    it('says in plain words that the server cannot reach WhatsApp, with a retry, when the socket failed (ENOTFOUND)', async () => {
      await setChannelState(whatsappId, 'disconnected', 'network_unreachable');
      await page.goto(`${base}/channels`);
      const card = page.getByRole('listitem').filter({ hasText: 'Sales phone' });
      await poll(() => card.locator('[data-channel-status]').textContent()).toBe("Can't reach WhatsApp");
      expect(await card.getByRole('status').textContent()).toContain(
        "Can't reach WhatsApp's servers from this server: check its internet access",
      );
      expect(await card.getByRole('button', { name: 'Connect again' }).isEnabled()).toBe(true);
      expect(await card.textContent()).not.toMatch(/network_unreachable|ENOTFOUND/);
      await screenshot(page, 'shell-channels-whatsapp-unreachable-1440');

      await setChannelState(whatsappId, 'logged_out', 'logged_out');
      await page.reload();
      await poll(() => card.locator('[data-channel-status]').textContent()).toBe('Logged out on the phone');
      expect(await card.getByRole('status').textContent()).toContain('connect again');
    });

    it('says what format a pairing phone needs before sending it', async () => {
      const card = page.getByRole('listitem').filter({ hasText: 'Sales phone' });
      await card.getByLabel('Phone for a pairing code (optional)').fill('11 99999-8888');
      await card.getByRole('button', { name: 'Connect again' }).click();
      await poll(() => card.getByText(/international format, with \+ and the country code: \+5511999998888/).isVisible()).toBe(true);
    });

    it('renames a channel, and deletes it after saying what happens to its conversations', async () => {
      await page.getByRole('button', { name: 'Rename Test line' }).click();
      const rename = page.getByRole('dialog');
      await rename.getByLabel('New name').fill('Demo line');
      await rename.getByRole('button', { name: 'Save' }).click();
      await poll(() => page.getByRole('listitem').filter({ hasText: 'Demo line' }).count()).toBe(1);

      await page.getByRole('button', { name: 'Delete Demo line' }).click();
      const confirm = page.getByRole('dialog');
      expect(await confirm.textContent()).toContain('Its past conversations and messages are kept');
      await screenshot(page, 'shell-channels-delete-confirm-1440');
      await confirm.getByRole('button', { name: 'Delete channel' }).click();
      await poll(() => page.getByRole('listitem').filter({ hasText: 'Demo line' }).count()).toBe(0);
      const listed = await owner.get('/api/v1/channels');
      expect(listed.body.items.map((c: { name: string }) => c.name)).toEqual(['Sales phone']);
    });

    it('keeps the WhatsApp settings of the page (groups, owner pause, pace)', async () => {
      await page.getByRole('button', { name: 'Settings of Sales phone' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('switch', { name: 'Answer group chats' }).check({ force: true });
      await dialog.getByLabel('Per minute').fill('6');
      await dialog.getByRole('button', { name: 'Save settings' }).click();
      await dialog.waitFor({ state: 'hidden' });
      const channel = (await owner.get(`/api/v1/channels/${whatsappId}`)).body;
      expect(channel.settings).toMatchObject({ groupsEnabled: true, pauseBotOnOwnerMessage: false, pacing: { perMinute: 6 } });
    });

    it('links the API reference for an owner, served from this server', async () => {
      const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API reference' });
      expect(await link.getAttribute('href')).toBe('/api-docs/');
      const docs = await context.newPage();
      await docs.goto(`${base}/api-docs/`);
      await poll(() =>
        docs
          .getByText('OneMessage')
          .first()
          .isVisible()
          .catch(() => false),
      ).toBe(true);
      await poll(() => docs.locator('.opblock').count()).toBeGreaterThan(10);
      await screenshot(docs, 'shell-api-docs-1440');
      await docs.close();
    });

    // Every page at both widths, with a screenshot each, is the page walk's (page-walk.test.ts); here the dark theme.
    it('switches to the dark theme and back, with no CSP violation', async () => {
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(`${base}/channels`);
      await page.getByRole('button', { name: /Switch to the dark theme/ }).click();
      await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
      expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
      await screenshot(page, 'shell-channels-dark-1440');
      await page.goto(`${base}/broadcasts/${broadcastId}`);
      await page.getByRole('heading', { name: 'Autumn offer', level: 1 }).waitFor();
      await screenshot(page, 'shell-broadcast-detail-dark-1440');
      await page.getByRole('button', { name: /Switch to the light theme/ }).click();
      await poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('light');
      expect(await violations.all()).toEqual([]);
    });

    it('shows the login page at both widths', async () => {
      const anonymous = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const login = await anonymous.newPage();
      for (const width of WIDTHS) {
        await login.setViewportSize({ width, height: 900 });
        await login.goto(`${base}/broadcasts/${broadcastId}`);
        await login.getByRole('button', { name: 'Log in' }).waitFor();
        await screenshot(login, `shell-login-${width}`);
      }
      // Logging in on a deep link lands on it.
      await login.getByLabel('Email').fill(EMAIL);
      await login.getByLabel('Password').fill(PASSWORD);
      await login.getByRole('button', { name: 'Log in' }).click();
      await login.getByRole('heading', { name: 'Autumn offer', level: 1 }).waitFor();
      await anonymous.close();
    });
  },
);
