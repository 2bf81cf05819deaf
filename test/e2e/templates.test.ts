import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import type { ApiClient } from '../support/api-client.ts';
import { signedInPage } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

/** Long enough for a reply to go inbound → run → outbox → sandbox send on a loaded 2-core machine. */
const REPLY_TIMEOUT_MS = 30_000;

const nodeNamed = (page: Page, name: string): Locator =>
  page.locator('.react-flow__node').filter({ has: page.locator('.flow-node-title', { hasText: name }) });

describe.skipIf(!HAS_CHROMIUM)('saved templates in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
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
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: 'templates-e2e@example.com',
      password: 'correct horse battery',
      name: 'Mia Marketer',
      workspaceName: 'Mia & Co',
    });
    owner = api.client.as(signup.body.token);
    await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' });
    // "hi" → a message that still says what to write: the test switches it to the template.
    const flow = await owner.post('/api/v1/flows', {
      name: 'Greeting',
      document: {
        schemaVersion: 1,
        nodes: [
          {
            id: 'trigger',
            type: 'message_received',
            label: 'Says hi',
            config: { match: { kind: 'keyword', keywords: ['hi'] } },
            position: { x: 0, y: 0 },
          },
          { id: 'reply', type: 'send_message', label: 'Welcome', config: { text: 'Written by hand' }, position: { x: 0, y: 180 } },
        ],
        edges: [{ id: 'e', source: 'trigger', sourceHandle: 'out', target: 'reply' }],
      },
    });
    flowId = flow.body.id;
    browser = await launchChromium();
    page = await signedInPage(browser, base, signup, violations);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('a marketer creates a template with two languages from the Templates page, with a live preview', async () => {
    await page.goto(`${base}/flows`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { name: 'Templates', level: 1 }).waitFor();
    await page.getByText('No templates yet.').waitFor();
    await page.getByRole('button', { name: 'New template' }).click();
    const dialog = page.getByRole('dialog', { name: 'New template' });
    await dialog.getByLabel('Name').fill('Warm welcome');
    await dialog.getByLabel('Text (en)').fill('Welcome aboard, {{contact.name | "friend"}}!');
    const preview = dialog.getByTestId('template-preview');
    await poll(() => preview.textContent()).toContain('Welcome aboard, Alex Sample!');
    await dialog.getByRole('button', { name: 'Add a language' }).click();
    await dialog.getByLabel('Language').nth(1).fill('es');
    await dialog.getByLabel('Text (es)').fill('¡Bienvenido, {{contact.name}}!');
    await dialog.getByLabel('Text (en)').fill('Welcome aboard, {{contact.name');
    await poll(() => dialog.getByRole('alert').first().textContent()).toContain('is never closed');
    await dialog.getByLabel('Text (en)').fill('Welcome aboard, {{contact.name | "friend"}}!');
    await poll(() => preview.textContent()).toContain('Welcome aboard, Alex Sample!');
    await screenshot(page, 'templates-01-new-with-preview');
    await dialog.getByRole('button', { name: 'Create template' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('table', { name: 'Templates' }).getByRole('row').filter({ hasText: 'Warm welcome' });
    await poll(() => row.textContent()).toContain('Welcome aboard');
    expect(await row.textContent()).toContain('es');
    await screenshot(page, 'templates-02-list');
    const saved = (await owner.get('/api/v1/templates')).body.items;
    expect(saved).toEqual([
      expect.objectContaining({
        name: 'Warm welcome',
        version: 1,
        content: {
          fallbackLanguage: 'en',
          variants: [
            { language: 'en', text: 'Welcome aboard, {{contact.name | "friend"}}!' },
            { language: 'es', text: '¡Bienvenido, {{contact.name}}!' },
          ],
        },
      }),
    ]);
  });

  it('uses it in a flow: Send message → Use a template, publish, and the test chat shows it rendered with the contact name', async () => {
    await page.goto(`${base}/flows/${flowId}`);
    await nodeNamed(page, 'Welcome').click();
    await page.getByText('Use a template').click();
    await page.getByRole('combobox', { name: 'Template' }).click();
    await page.getByRole('option', { name: 'Warm welcome' }).click();
    await poll(() => page.getByLabel('Template text').textContent()).toContain('Welcome aboard');
    await screenshot(page, 'templates-03-node-uses-template');
    await poll(
      async () => (await owner.get(`/api/v1/flows/${flowId}`)).body.document.nodes[1].config.templateId,
      REPLY_TIMEOUT_MS,
    ).toBeTruthy();

    await page.getByRole('button', { name: 'Publish…' }).click();
    await page.getByRole('button', { name: 'Publish now' }).click();
    await poll(() => page.getByTestId('publication-state').textContent(), REPLY_TIMEOUT_MS).toBe('Published v1');

    await page.getByRole('tab', { name: 'Test chat' }).click();
    // The choice is a segmented control: its radio is hidden behind its label.
    await page
      .locator('label')
      .filter({ hasText: /^Published v1$/ })
      .click();
    await poll(() => page.getByRole('radio', { name: 'Published v1' }).isChecked()).toBe(true);
    await page.getByLabel('Message as the test contact').fill('hi');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const log = page.getByRole('log', { name: 'Conversation' });
    await poll(() => log.textContent(), REPLY_TIMEOUT_MS).toContain('Welcome aboard, Test contact!');
    await screenshot(page, 'templates-04-test-chat-rendered');
    expect(await violations.all()).toEqual([]);
  });

  it('broadcasts it: picked with a preview in each language, and each contact gets their language', async () => {
    const lucia = await owner.post('/api/v1/contacts', {
      phone: '+15557300001',
      name: 'Lucía',
      tags: ['launch'],
      attributes: { language: 'es' },
    });
    const ben = await owner.post('/api/v1/contacts', { phone: '+15557300002', name: 'Ben', tags: ['launch'] });
    await page.goto(`${base}/broadcasts/new`);
    await page.getByRole('textbox', { name: /^Name/ }).fill('Launch welcome');
    await page.getByLabel('Field').selectOption('contact.tags');
    await page.getByLabel('Operator').selectOption('contains');
    await page.getByLabel('Value').fill('launch');
    await page.getByRole('radio', { name: 'Use a template' }).check();
    await page.getByRole('combobox', { name: 'Template' }).click();
    await page.getByRole('option', { name: 'Warm welcome' }).click();
    const preview = page.getByTestId('template-preview');
    await poll(() => preview.textContent()).toContain('Welcome aboard, Alex Sample!');
    await page.getByRole('combobox', { name: "Contact's language" }).click();
    await page.getByRole('option', { name: 'es', exact: true }).click();
    await poll(() => preview.textContent()).toContain('¡Bienvenido, Alex Sample!');
    await screenshot(page, 'templates-05-broadcast-picks-template');

    await page.getByRole('button', { name: 'Schedule and send now' }).click();
    await page.waitForURL(/\/broadcasts\/[0-9a-f-]+$/);
    const settings = page.getByRole('table', { name: 'Settings and times' });
    await poll(() => settings.textContent(), REPLY_TIMEOUT_MS).toContain('template “Warm welcome”, version 1 (current when it started)');
    await screenshot(page, 'templates-06-broadcast-sent');
    await poll(async () => {
      const rows = (await owner.get(`/api/v1/conversations?limit=50`)).body.items as {
        contactId: string;
        lastMessage: { excerpt: string | null } | null;
      }[];
      return Object.fromEntries(
        rows.filter((r) => [lucia.body.id, ben.body.id].includes(r.contactId)).map((r) => [r.contactId, r.lastMessage?.excerpt]),
      );
    }, REPLY_TIMEOUT_MS).toEqual({ [lucia.body.id]: '¡Bienvenido, Lucía!', [ben.body.id]: 'Welcome aboard, Ben!' });
  });

  it('shows the history: each version, who saved it, its text per language, and the flow and broadcast sending it', async () => {
    const [template] = (await owner.get('/api/v1/templates')).body.items;
    await owner.patch(`/api/v1/templates/${template.id}`, {
      content: {
        fallbackLanguage: 'en',
        variants: [
          { language: 'en', text: 'Welcome back, {{contact.name | "friend"}}!' },
          { language: 'es', text: '¡Bienvenido de nuevo, {{contact.name}}!' },
        ],
      },
    });
    await page.goto(`${base}/templates`);
    await page.getByRole('button', { name: 'History of Warm welcome' }).click();
    const dialog = page.getByRole('dialog', { name: 'History of “Warm welcome”' });
    const versions = dialog.getByTestId('template-version');
    await poll(() => versions.count()).toBe(2);
    const latest = await versions.nth(0).textContent();
    expect(latest).toContain('Version 2');
    expect(latest).toContain('current');
    expect(latest).toContain('by Mia Marketer');
    expect(latest).toContain('¡Bienvenido de nuevo, {{contact.name}}!');
    const first = await versions.nth(1).textContent();
    expect(first).toContain('Welcome aboard, {{contact.name | "friend"}}!');
    expect(first).toContain('Published flows that send this version: Greeting (v1)');
    expect(first).toContain('Broadcasts that sent this version: Launch welcome');
    await screenshot(page, 'templates-07-history');
  });

  it("makes a quick reply of it, which agents get in the contact's language", async () => {
    await page.goto(`${base}/settings/quick-replies`);
    await page.getByRole('button', { name: 'New quick reply' }).click();
    const dialog = page.getByRole('dialog', { name: 'New quick reply' });
    await dialog.getByLabel('Shortcut').fill('welcome');
    await dialog.getByLabel('Title').fill('Welcome');
    await dialog
      .locator('label')
      .filter({ hasText: /^Use a template$/ })
      .click();
    await dialog.getByRole('combobox', { name: 'Template' }).click();
    await page.getByRole('option', { name: 'Warm welcome' }).click();
    await poll(() => dialog.getByTestId('template-preview').textContent()).toContain('Welcome back, Alex Sample!');
    await screenshot(page, 'templates-08-quick-reply-uses-template');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('table', { name: 'Quick replies' }).getByRole('row').filter({ hasText: '/welcome' });
    await poll(() => row.textContent()).toContain('Template “Warm welcome”');
    const [canned] = (await owner.get('/api/v1/canned-responses')).body.items;
    const conversation = (await owner.get('/api/v1/conversations?limit=50')).body.items.find(
      (c: { contact: { name: string } }) => c.contact.name === 'Lucía',
    );
    const rendered = await owner.post(`/api/v1/canned-responses/${canned.id}/render`, { conversationId: conversation.id });
    expect(rendered.body).toMatchObject({
      text: '¡Bienvenido de nuevo, Lucía!',
      language: 'es',
      template: { name: 'Warm welcome', version: 2 },
    });
    expect(await violations.all()).toEqual([]);
  });
});
