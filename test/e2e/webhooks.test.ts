import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import type { ApiClient } from '../support/api-client.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { signedInPage } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

describe.skipIf(!HAS_CHROMIUM)('event webhooks in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let base: string;
  let page: Page;
  let owner: ApiClient;
  const receiver = new WebhookReceiver();
  const violations = violationRecorder();
  let secret = '';

  beforeAll(async () => {
    ensureEditorBuilt();
    await receiver.start();
    // The local receiver is on 127.0.0.1, which the operator's allow-list opens to webhooks.
    api = await startTestApi({ HTTP_ALLOW_HOSTS: '127.0.0.1' });
    base = `http://127.0.0.1:${api.process.port}`;
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: 'hooks-owner@example.com',
      password: 'correct horse battery',
      name: 'Olivia Owner',
      workspaceName: 'Hooks & Co',
    });
    owner = api.client.as(signup.body.token);
    browser = await launchChromium();
    page = await signedInPage(browser, base, signup, violations);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await receiver.stop();
  });

  it('an owner registers a webhook from Settings → Webhooks and is shown its secret once', async () => {
    await page.goto(`${base}/flows`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();
    await screenshot(page, 'webhooks-01-empty');
    await page.getByRole('button', { name: 'Add webhook' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook' });
    // A private address is refused in words that say what to do.
    await dialog.getByLabel('Address').fill('http://10.0.0.8/hook');
    await dialog.getByLabel('A contact sent a message').check();
    await dialog.getByRole('button', { name: 'Add webhook' }).click();
    await dialog
      .getByText(/HTTP_ALLOW_HOSTS/)
      .first()
      .waitFor();
    await screenshot(page, 'webhooks-02-private-address-refused');
    await dialog.getByLabel('Address').fill(receiver.url);
    await dialog.getByLabel('Description').fill('Our CRM');
    await dialog.getByLabel('A conversation moved (handed to a person, assigned, resolved…)').check();
    await dialog.getByRole('button', { name: 'Add webhook' }).click();
    const shown = page.getByRole('dialog', { name: 'Your signing secret' });
    secret = (await shown.getByLabel('Signing secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await screenshot(page, 'webhooks-03-secret-shown-once');
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByLabel(`Webhook ${receiver.url}`, { exact: true }).waitFor();
    await poll(() => page.getByText('Active').isVisible()).toBe(true);
    expect(await page.content()).not.toContain(secret);
  });

  it('a contact writes, and a signed delivery arrives at the receiver and shows in the deliveries', async () => {
    const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' });
    await owner.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, {
      from: '+15550007777',
      text: 'hello from a customer',
      name: 'Carla',
    });
    await poll(() => receiver.received.length).toBeGreaterThan(0);
    const got = receiver.received.find((r) => r.body.includes('hello from a customer'))!;
    const payload = new Webhook(secret).verify(got.body, got.headers) as { type: string; data: { text: string } };
    expect(payload).toMatchObject({ type: 'message.received', data: { text: 'hello from a customer' } });

    await page.getByRole('button', { name: 'Deliveries' }).click();
    const drawer = page.getByRole('dialog', { name: /Deliveries to/ });
    await drawer.getByRole('row').filter({ hasText: 'A contact sent a message' }).getByText('Delivered · 200').waitFor();
    await screenshot(page, 'webhooks-04-deliveries');
    await drawer.getByRole('button', { name: 'Details' }).first().click();
    const detail = page.getByRole('dialog', { name: 'Delivery' });
    await detail.getByRole('table', { name: 'Attempts' }).getByText('thanks').waitFor();
    const before = receiver.received.length;
    await detail.getByRole('button', { name: 'Send again' }).click();
    await poll(() => receiver.received.length).toBe(before + 1);
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe(got.headers['webhook-id']);
    await poll(() => detail.getByText('(sent again by hand)').count()).toBe(1);
    await screenshot(page, 'webhooks-05-sent-again');
    expect(await violations.all()).toEqual([]);
  });

  it('reads at 800 px', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 800, height: 900 });
    await page.goto(`${base}/settings/webhooks`);
    await page.getByText('Our CRM').waitFor();
    await screenshot(page, 'webhooks-06-narrow');
  });
});
