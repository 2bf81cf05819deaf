import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const EMAIL = `broadcasts-${Date.now()}@example.com`;
const PASSWORD = 'correct horse battery';
/** Long enough for a small broadcast to be snapshotted, sent through the sandbox, delivered and read on a loaded 2-core machine. */
const DELIVERY_TIMEOUT_MS = 45_000;

/** Contacts the sandbox knows, three of them tagged "vip": the segment of the test. */
const CONTACTS = [
  { phone: '+15550000001', name: 'Ada', vip: true },
  { phone: '+15550000002', name: 'Bob', vip: true },
  { phone: '+15550000003', name: 'Cleo', vip: true },
  { phone: '+15550000004', name: 'Dan', vip: false },
  { phone: '+15550000005', name: 'Eve', vip: false },
];

const count = (page: Page, status: string) => page.locator(`[data-status="${status}"]`).textContent();
const audienceCount = (page: Page) => page.getByTestId('audience-count').textContent();
const stateOf = (page: Page) => page.locator('main [data-state]').first().getAttribute('data-state');
/** The reached-at-least numbers of the detail page's cards, in the chart's order. */
const cardNumbers = (page: Page) =>
  Promise.all(
    ['sent', 'delivered', 'read', 'failed'].map((k) => page.locator(`main .mantine-Card-root [data-number="${k}"]`).first().textContent()),
  );

describe.skipIf(!HAS_CHROMIUM)('the broadcasts page in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi();
    base = `http://127.0.0.1:${api.process.port}`;
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: EMAIL,
      password: PASSWORD,
      name: 'Bea',
      workspaceName: 'Broadcasts',
    });
    expect(signup.status).toBe(201);
    const client = api.client.as(signup.body.token);
    const channel = await client.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox line' });
    expect(channel.status).toBe(201);
    for (const contact of CONTACTS) {
      const inbound = await client.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, {
        from: contact.phone,
        name: contact.name,
        text: 'hello',
      });
      expect(inbound.status).toBe(202);
      if (contact.vip) expect((await client.patch(`/api/v1/contacts/${inbound.body.contactId}`, { tags: ['vip'] })).status).toBe(200);
    }
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    // The cancel confirmation is accepted, as a user would.
    page.on('dialog', (dialog) => void dialog.accept());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('logs in and opens the empty broadcasts list from the header', async () => {
    await page.goto(base);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Broadcasts' }).click();
    await poll(() => page.getByRole('heading', { name: 'Broadcasts', exact: true }).isVisible()).toBe(true);
    await poll(() => page.getByText('No broadcasts yet').isVisible()).toBe(true);
  });

  it('counts the segment live while its rule changes, sends it now, and shows progress to 100% with deliveries and reads', async () => {
    await page.getByRole('link', { name: 'New broadcast' }).click();
    await page.getByRole('textbox', { name: /^Name/ }).fill('Spring sale');
    // The starting rule is everyone with a phone: the five contacts.
    await poll(() => audienceCount(page)).toBe('5');
    await page.getByLabel('Field').selectOption('contact.tags');
    await page.getByLabel('Operator').selectOption('contains');
    await page.getByLabel('Value').fill('vip');
    await poll(() => audienceCount(page)).toBe('3');
    expect(await page.getByRole('list', { name: 'Sample contacts' }).textContent()).toContain('Ada');
    expect(await page.getByRole('list', { name: 'Sample contacts' }).textContent()).not.toContain('Dan');
    await page.getByRole('textbox', { name: 'Message text' }).fill('Hello {{contact.name}}, 20% off this week!');
    await screenshot(page, 'broadcasts-01-create-segment');

    await page.getByRole('button', { name: 'Schedule and send now' }).click();
    await page.waitForURL(/\/broadcasts\/[0-9a-f-]+$/);

    // Samples of the counts while it goes: messages reach delivered, then read, never going back.
    const reached: number[] = [];
    await poll(async () => {
      const [delivered, read] = await Promise.all([count(page, 'delivered'), count(page, 'read')]);
      reached.push(Number(delivered) + Number(read));
      return read;
    }, DELIVERY_TIMEOUT_MS).toBe('3');
    expect(reached).toEqual([...reached].sort((a, b) => a - b));
    expect(reached.at(-1)).toBe(3);
    await poll(() => page.getByRole('progressbar', { name: 'Progress' }).getAttribute('aria-valuenow')).toBe('100');
    await poll(() => stateOf(page)).toBe('completed');
    expect(await page.locator('[data-number="recipients"]').first().textContent()).toBe('3');
    await poll(() => page.getByRole('img', { name: /^Delivery over time/ }).getAttribute('aria-label')).toContain('3 read');
    // One model everywhere: the cards, the chart's final running totals and (below) the list's row show the same numbers.
    const cards = await cardNumbers(page);
    expect(cards).toEqual(['3', '3', '3', '0']);
    await poll(() => page.locator('[data-chart-totals]').getAttribute('data-chart-totals')).toBe(cards.join(','));

    await page.getByRole('combobox', { name: 'Show recipients by status' }).selectOption('read');
    await poll(() => page.getByRole('table', { name: 'Recipients' }).locator('tbody tr').count()).toBe(3);
    expect(await page.getByRole('table', { name: 'Recipients' }).textContent()).not.toContain('Dan');
    await screenshot(page, 'broadcasts-02-completed');

    await page.getByRole('link', { name: '← Broadcasts' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Spring sale' }) });
    await poll(() => row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(
      await Promise.all(['sent', 'delivered', 'read', 'failed'].map((k) => row.locator(`[data-number="${k}"]`).textContent())),
    ).toEqual(cards);
    await screenshot(page, 'broadcasts-03-list');
  });

  it('refuses a time in the past with the reason, then pauses, edits, resumes and cancels a paced broadcast', async () => {
    await page.goto(`${base}/broadcasts`);
    await page.getByRole('link', { name: 'New broadcast' }).click();
    await page.getByRole('textbox', { name: /^Name/ }).fill('Slow drip');
    await poll(() => audienceCount(page)).toBe('5');
    await page.getByRole('textbox', { name: 'Message text' }).fill('One a minute');
    await page.getByLabel('Pace (messages per minute)').fill('1');
    await page.getByRole('radio', { name: 'At a time' }).check();
    await page.getByLabel('Local date and time').fill('2020-01-01T09:00');
    await page.getByLabel('Time zone').fill('UTC');
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await poll(() => page.getByRole('list', { name: 'Problems to fix' }).textContent()).toContain('schedule.localTime');
    expect(await page.getByRole('alert').textContent()).toContain('in the past');
    await screenshot(page, 'broadcasts-04-past-time-refused');

    // Fixed in the same form: the draft it already saved is updated, not created twice.
    await page.getByRole('radio', { name: 'Now' }).check();
    await page.getByRole('button', { name: 'Schedule and send now' }).click();
    await page.waitForURL(/\/broadcasts\/[0-9a-f-]+$/);
    // Running with its five recipients snapshotted (before that, no recipient means 100% done); the pace keeps most of them pending.
    await poll(() => stateOf(page)).toBe('running');
    await poll(() => page.locator('[data-number="recipients"]').first().textContent()).toBe('5');

    await page.getByRole('button', { name: 'Pause' }).click();
    await poll(() => stateOf(page)).toBe('paused');
    expect(await page.getByRole('button', { name: 'Resume' }).isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Pause' }).isEnabled()).toBe(false);
    const pausedAt = Number(await page.getByRole('progressbar', { name: 'Progress' }).getAttribute('aria-valuenow'));
    expect(pausedAt).toBeLessThan(100);
    await screenshot(page, 'broadcasts-05-paused');

    // While paused, its pace can change: the edit sends that field alone.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Pace (messages per minute)').fill('2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/\/broadcasts\/[0-9a-f-]+$/);
    await poll(() => page.getByRole('table', { name: 'Settings and times' }).textContent()).toContain('2 per minute');
    expect(await stateOf(page)).toBe('paused');

    await page.getByRole('button', { name: 'Resume' }).click();
    await poll(() => stateOf(page)).toMatch(/^(scheduled|running)$/);
    await page.getByRole('button', { name: 'Cancel broadcast' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel broadcast' }).click();
    await poll(() => stateOf(page)).toBe('cancelled');
    // The confirmation closes with a transition: until it is gone its button has the same name.
    await poll(() => page.getByRole('dialog').count()).toBe(0);
    for (const name of ['Pause', 'Resume', 'Cancel broadcast'])
      expect(await page.locator('#root').getByRole('button', { name }).isEnabled()).toBe(false);
    await screenshot(page, 'broadcasts-06-cancelled');

    await page.getByRole('link', { name: '← Broadcasts' }).click();
    await poll(() =>
      page
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: 'Slow drip' }) })
        .locator('[data-state]')
        .getAttribute('data-state'),
    ).toBe('cancelled');
    expect(await page.getByRole('link', { name: 'Slow drip' }).count()).toBe(1);
  });
});
