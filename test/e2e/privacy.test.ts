import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { signedInPage } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const PHONE = '+15553334444';

describe.skipIf(!HAS_CHROMIUM)("the Privacy page and a contact's data requests in Chromium", { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let base: string;
  const violations = violationRecorder();

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi({ ONEMESSAGE_DATA_DIR: `/tmp/onemessage-privacy-e2e-${process.pid}` });
    base = `http://127.0.0.1:${api.process.port}`;
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: 'privacy-owner@example.com',
      password: 'correct horse battery',
      name: 'Pat Privacy',
      workspaceName: 'Privacy Co',
    });
    const owner = api.client.as(signup.body.token);
    const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' });
    await owner.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, { from: PHONE, text: 'hello there', name: 'Sam Subject' });
    browser = await launchChromium();
    page = await signedInPage(browser, base, signup, violations);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('sets a policy with its preview, runs a dry run with progress, then exports, restricts and erases a contact with confirmations', async () => {
    await page.goto(`${base}/privacy`);
    await page.getByRole('heading', { name: 'Privacy', level: 1 }).waitFor();
    await page.getByLabel('Days to keep: Message content (text and metadata)').fill('30');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Retention policy saved.').waitFor();
    await page.getByRole('button', { name: 'Dry run' }).click();
    await poll(() => page.getByText('completed').count()).toBeGreaterThan(0);
    await screenshot(page, 'privacy-01-policy-and-dry-run');

    await page.getByLabel('Phone').fill(PHONE);
    await page.getByRole('button', { name: 'Find contact' }).click();
    await page.getByRole('heading', { name: 'Sam Subject' }).waitFor();
    await page.getByRole('button', { name: 'Export data' }).click();
    await page.getByRole('link', { name: /Download/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Restrict processing' }).click();
    await page.getByRole('button', { name: 'Restrict', exact: true }).click();
    await page.getByText('restricted', { exact: true }).waitFor();
    await screenshot(page, 'privacy-02-contact-exported-restricted');

    await page.getByRole('button', { name: 'Erase contact' }).click();
    await screenshot(page, 'privacy-03-erase-confirmation');
    await page.getByRole('dialog').getByRole('button', { name: 'Erase contact' }).click();
    await page.getByRole('heading', { name: 'Privacy', level: 1 }).waitFor();
    const left = await api.client
      .as((await page.context().cookies()).find((c) => c.name === 'om_session')!.value)
      .get(`/api/v1/contacts?phone=${encodeURIComponent(PHONE)}`);
    expect(left.body.items).toEqual([]);
    expect(await violations.all()).toEqual([]);
  });
});
