import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { addSessionCookies } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const DEMO = { email: 'demo@onemessage.local', password: 'onemessage-demo' };
const INVITED = 'sam@example.com';

describe.skipIf(!HAS_CHROMIUM)(
  'team pages in Chromium: members, API keys, audit log, workspace settings',
  { timeout: E2E_TEST_TIMEOUT_MS },
  () => {
    let api: TestApi;
    let browser: Browser;
    let base: string;
    let page: Page;
    const violations = violationRecorder();

    async function openSettings(label: string, heading: string): Promise<void> {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    }

    beforeAll(async () => {
      ensureEditorBuilt();
      api = await startTestApi();
      base = `http://127.0.0.1:${api.process.port}`;
      browser = await launchChromium();
      const context = await browser.newContext({
        viewport: { width: 1440, height: 900 },
        permissions: ['clipboard-read', 'clipboard-write'],
        acceptDownloads: true,
      });
      await violations.watch(context);
      await addSessionCookies(context, base, await api.client.post('/api/v1/auth/login', DEMO));
      page = await context.newPage();
      await page.goto(`${base}/flows`);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await api?.close();
    });

    it('an owner invites a member and sees the pending invitation', async () => {
      await openSettings('Members', 'Members');
      await page.getByRole('form', { name: 'Invite someone' }).getByLabel('Email').fill(INVITED);
      await page.getByRole('form', { name: 'Invite someone' }).getByLabel('Role').selectOption('marketer');
      await page.getByRole('button', { name: 'Invite' }).click();
      await page.getByRole('status', { name: `Invitation link for ${INVITED}` }).waitFor();
      await poll(() =>
        page.getByRole('region', { name: 'Pending invitations' }).getByRole('listitem').filter({ hasText: INVITED }).count(),
      ).toBe(1);
      await screenshot(page, 'team-01-invited');
    });

    it('creates an API key shown once, sees when it was last used, and revokes it: the key stops working', async () => {
      await openSettings('API keys', 'API keys');
      await page.getByLabel('Name').fill('CRM sync');
      await page.getByLabel('Rights').selectOption('marketer');
      await page.getByRole('button', { name: 'Create key' }).click();
      const shown = page.getByRole('status', { name: 'New API key CRM sync' });
      const secret = await shown.getByLabel('API key').inputValue();
      expect(secret.length).toBeGreaterThan(20);
      await screenshot(page, 'team-02-key-shown-once');

      const row = page.getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: 'CRM sync' });
      expect(await row.textContent()).toContain('Never');
      expect(await row.textContent()).not.toContain(secret);
      // The key works, and its use is recorded.
      expect((await api.client.as(secret).get('/api/v1/flows')).status).toBe(200);
      await shown.getByRole('button', { name: 'Done' }).click();
      await page.reload();
      await poll(async () => {
        await page.reload();
        return row.textContent();
      }).not.toContain('Never');
      expect(await page.content()).not.toContain(secret);

      await row.getByRole('button', { name: 'Revoke CRM sync' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
      await poll(() => row.count()).toBe(0);
      await screenshot(page, 'team-03-key-revoked');
      const refused = await api.client.as(secret).get('/api/v1/flows');
      expect(refused.status).toBe(401);
    });

    it('the audit log shows the revocation by its actor, filters by action, and exports the filtered rows as CSV', async () => {
      await openSettings('Audit log', 'Audit log');
      const entries = page.getByRole('table', { name: 'Audit log entries' });
      await poll(() => entries.textContent()).toContain('Api key revoked');
      expect(await entries.textContent()).toContain('Invitation');
      await page.getByLabel('What', { exact: true }).and(page.locator('input')).click();
      await page.getByRole('option', { name: 'Api key revoked' }).click();
      await poll(() => entries.getByRole('row').count()).toBe(2); // the header and the one revocation
      expect(await entries.textContent()).toContain('Demo');
      await screenshot(page, 'team-04-audit-filtered');

      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Export CSV' }).click();
      const csv = readFileSync((await (await download).path())!, 'utf8')
        .trim()
        .split('\n');
      expect(csv[0]).toBe('time,actor,actor_type,action,target_type,target_id,details');
      expect(csv).toHaveLength(2);
      expect(csv[1]).toContain('api_key.revoked');
    });

    it('workspace settings change the name, time zone and business hours, kept after a reload', async () => {
      await openSettings('Workspace', 'Workspace');
      const form = page.getByRole('form', { name: 'Workspace settings' });
      await form.getByLabel('Name').fill('Demo shop');
      await form.getByLabel('Time zone').fill('Europe/Paris');
      await page.getByRole('option', { name: 'Europe/Paris' }).click();
      await form.getByRole('checkbox', { name: 'Saturday' }).check();
      await form.getByLabel('Saturday opens at').fill('10:00');
      await form.getByLabel('Saturday closes at').fill('13:00');
      await form.getByRole('checkbox', { name: 'Monday' }).uncheck();
      await form.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Workspace settings saved.').waitFor();
      await screenshot(page, 'team-05-workspace-settings');

      const saved = await api.client.as(await loginToken()).get('/api/v1/workspace');
      expect(saved.body).toMatchObject({
        name: 'Demo shop',
        timezone: 'Europe/Paris',
        businessHours: { saturday: [{ from: '10:00', to: '13:00' }], monday: [] },
      });
      await page.reload();
      await poll(() => form.getByLabel('Saturday opens at').inputValue()).toBe('10:00');
      expect(await form.getByRole('checkbox', { name: 'Monday' }).isChecked()).toBe(false);
    });

    it('the pages ran with no Content-Security-Policy violation', async () => {
      expect(await violations.all()).toEqual([]);
    });

    async function loginToken(): Promise<string> {
      return (await api.client.post('/api/v1/auth/login', DEMO)).body.token as string;
    }
  },
);
