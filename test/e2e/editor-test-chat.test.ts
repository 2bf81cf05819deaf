import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import type { ApiClient } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { addSessionCookies } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

/** Long enough for a reply to go inbound → run → outbox → sandbox send on a loaded 2-core machine. */
const REPLY_TIMEOUT_MS = 30_000;

/** "hi" → one reply, top to bottom. */
function replyDocument(reply: string) {
  return {
    schemaVersion: 1,
    nodes: [
      {
        id: 'trigger',
        type: 'message_received',
        label: 'Says hi',
        config: { match: { kind: 'keyword', keywords: ['hi'] } },
        position: { x: 0, y: 0 },
      },
      { id: 'reply', type: 'send_message', label: 'Answer', config: { text: reply }, position: { x: 0, y: 180 } },
    ],
    edges: [{ id: 'e', source: 'trigger', sourceHandle: 'out', target: 'reply' }],
  };
}

const nodeNamed = (page: Page, name: string): Locator =>
  page.locator('.react-flow__node').filter({ has: page.locator('.flow-node-title', { hasText: name }) });

/** Neither the side panel nor the page scrolls sideways: nothing in it is wider than it. */
async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  // A string, evaluated by the browser itself: this file is compiled without the DOM's types.
  const widths = (await page.evaluate(`(() => {
    const measure = (el) => (el ? { scroll: el.scrollWidth, client: el.clientWidth } : null);
    return { body: measure(document.querySelector('.side-body')), side: measure(document.querySelector('.side')), page: measure(document.documentElement) };
  })()`)) as Record<string, { scroll: number; client: number } | null>;
  expect(widths.body).not.toBeNull();
  // On failure, the message names what sticks out.
  const wide = await page.evaluate(`(() => {
    const box = document.querySelector('.side-body').getBoundingClientRect();
    return [...document.querySelectorAll('.side-body *')].filter((el) => el.getBoundingClientRect().right > box.right + 1).slice(0, 5).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().width));
  })()`);
  expect.soft(wide, 'elements wider than the side panel').toEqual([]);
  for (const [name, w] of Object.entries(widths))
    expect(w!.scroll, `${name} scrollWidth ${w!.scroll} > clientWidth ${w!.client}`).toBeLessThanOrEqual(w!.client);
}

describe.skipIf(!HAS_CHROMIUM)(
  'the test chat and publishing, as a marketer uses them in Chromium',
  { timeout: E2E_TEST_TIMEOUT_MS },
  () => {
    let api: TestApi;
    let owner: ApiClient;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let base: string;
    let channelId: string;
    let priceList: string;
    let welcome: string;

    beforeAll(async () => {
      ensureEditorBuilt();
      api = await startTestApi();
      base = `http://127.0.0.1:${api.process.port}`;
      const signup = await api.client.post('/api/v1/auth/signup', {
        email: `chat-${Date.now()}@example.com`,
        password: 'correct horse battery',
        name: 'Mia',
        workspaceName: 'Mia & Co',
      });
      expect(signup.status).toBe(201);
      owner = api.client.as(signup.body.token);
      channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' })).body.id;
      const price = await owner.post('/api/v1/flows', { name: 'Price list', document: replyDocument('Old reply: basic 10 EUR') });
      priceList = price.body.id;
      expect((await owner.post(`/api/v1/flows/${priceList}/publish`, { note: 'first' })).status).toBe(201);
      welcome = (await owner.post('/api/v1/flows', { name: 'Welcome', document: replyDocument('Welcome!') })).body.id;
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      await addSessionCookies(context, base, signup);
      page = await context.newPage();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await api?.close();
    });

    it('warns in the publish dialog that another active flow answers "hi", names the winner and why, and priority changes it', async () => {
      await page.goto(`${base}/flows/${welcome}`);
      await nodeNamed(page, 'Answer').waitFor();
      await page.getByRole('button', { name: 'Publish…' }).click();
      const warning = page.getByRole('alert', { name: 'Other flows answer the same messages' });
      await poll(() => warning.textContent()).toContain('"Price list" also answers "hi": "Price list" wins because it was published first');
      await screenshot(page, '20-publish-overlap-warning');

      await page.getByLabel('Priority of this flow').fill('5');
      await page.getByRole('button', { name: 'Save priority' }).click();
      await poll(() => warning.textContent()).toContain('"Welcome" wins because it has the higher priority (5 against 0)');
      expect((await owner.get(`/api/v1/flows/${welcome}`)).body.priority).toBe(5);
      await page.getByRole('button', { name: 'Cancel' }).click();
      // Back to 0: the next tests talk to "Price list" as real contacts.
      await owner.patch(`/api/v1/flows/${welcome}`, { priority: 0 });
    });

    it('tests the draft before publishing: the new reply in the chat, the old one for real contacts', async () => {
      await page.goto(`${base}/flows/${priceList}`);
      await nodeNamed(page, 'Answer').waitFor();
      await poll(() => page.getByTestId('publication-state').textContent()).toBe('Published v1');

      await nodeNamed(page, 'Answer').click();
      await page.getByLabel('Text', { exact: true }).fill('New reply: basic 12 EUR');
      await poll(() => page.getByTestId('publication-state').textContent()).toBe('Published v1 · Unpublished changes');

      await page.getByRole('tab', { name: 'Test chat' }).click();
      expect(await page.getByRole('radio', { name: 'Draft (not published)' }).isChecked()).toBe(true);
      await page.getByLabel('Message as the test contact').fill('hi');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const log = page.getByRole('log', { name: 'Conversation' });
      await poll(() => log.textContent(), REPLY_TIMEOUT_MS).toContain('New reply: basic 12 EUR');
      await poll(() => page.locator('.flow-node[data-on-path="true"]').count(), REPLY_TIMEOUT_MS).toBe(2);
      await screenshot(page, '21-draft-tested');

      // Not published: a real contact still gets the published reply.
      const real = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550007777', text: 'hi' });
      const replies = await eventually(async () => {
        const res = await owner.get(`/api/v1/conversations/${real.body.conversationId}/messages?limit=10`);
        const texts = res.body.items.filter((m: any) => m.direction === 'outbound').map((m: any) => m.text);
        return texts.length > 0 ? texts : undefined;
      }, REPLY_TIMEOUT_MS);
      expect(replies).toEqual(['Old reply: basic 10 EUR']);
      expect(await page.getByTestId('publication-state').textContent()).toBe('Published v1 · Unpublished changes');
    });

    it('explains a message no trigger matches, and clears the previous path', async () => {
      await page.getByLabel('Message as the test contact').fill('what time is it');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await poll(() => page.getByRole('note').last().textContent(), REPLY_TIMEOUT_MS).toBe(
        'No trigger matched: this flow listens for "hi".',
      );
      expect(await page.locator('.flow-node[data-on-path="true"]').count()).toBe(0);
      await screenshot(page, '22-unmatched-explained');
    });

    it('lists runs live with their contact and message, told as a conversation with the data behind a toggle', async () => {
      await page.getByRole('tab', { name: 'Runs' }).click();
      const runs = page.getByRole('list', { name: 'Recent runs' });
      await poll(() => runs.textContent()).toContain('Test contact (+999');
      expect(await runs.textContent()).toContain('“hi”');
      expect(await runs.textContent()).toContain('draft test');
      // A new run appears without a refresh.
      const before = await runs.getByRole('listitem').count();
      await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550008888', text: 'hi', name: 'Rita' });
      await poll(() => runs.getByRole('listitem').count(), REPLY_TIMEOUT_MS).toBe(before + 1);
      await poll(() => runs.textContent(), REPLY_TIMEOUT_MS).toContain('Rita (+15550008888): “hi”');

      await runs.getByRole('button').filter({ hasText: 'draft test' }).first().click();
      const detail = page.getByLabel('Run details');
      await poll(() => detail.textContent(), REPLY_TIMEOUT_MS).toContain('Started by “Says hi”.');
      expect(await detail.textContent()).toContain('New reply: basic 12 EUR');
      expect(await detail.locator('pre').count()).toBe(0);
      await page.getByLabel('Show data').check();
      await poll(() => detail.locator('pre').count()).toBe(2);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, '23-run-as-conversation-1440');
    });

    it('keeps the side panel within its width at 1440 px with a message form open', async () => {
      await nodeNamed(page, 'Answer').click();
      await page.getByLabel('Text', { exact: true }).waitFor();
      // Tabs stay reachable while a node is selected.
      expect(await page.getByRole('tab', { name: 'Test chat' }).isVisible()).toBe(true);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, '24-panel-1440');
    });

    it('puts the canvas first at 800 px, with the panel as a drawer that fits', async () => {
      await page.setViewportSize({ width: 800, height: 900 });
      await page.reload();
      await nodeNamed(page, 'Answer').waitFor();
      expect(await page.locator('.side').count()).toBe(0);
      expect(await page.locator('.palette').count()).toBe(0);
      await screenshot(page, '25-canvas-800');
      // Clicking a node opens its settings in the drawer.
      await nodeNamed(page, 'Answer').click();
      await page.getByLabel('Text', { exact: true }).waitFor();
      await expectNoHorizontalOverflow(page);
      await screenshot(page, '26-panel-800');
      await page.getByRole('tab', { name: 'Runs' }).click();
      await page.getByRole('list', { name: 'Recent runs' }).getByRole('button').first().click();
      await page.getByLabel('Run details').waitFor();
      await page.getByLabel('Show data').check();
      await expectNoHorizontalOverflow(page);
      await screenshot(page, '27-run-800');
      await page.getByRole('button', { name: 'Close the panel' }).click();
      await page.getByRole('button', { name: 'Nodes' }).click();
      await page.getByRole('searchbox').fill('send');
      const palette = (await page.evaluate(`(() => {
      const el = document.querySelector('.palette');
      return { scroll: el.scrollWidth, client: el.clientWidth, page: document.documentElement.scrollWidth, pageClient: document.documentElement.clientWidth };
    })()`)) as { scroll: number; client: number; page: number; pageClient: number };
      expect(palette.scroll).toBeLessThanOrEqual(palette.client);
      expect(palette.page).toBeLessThanOrEqual(palette.pageClient);
      await screenshot(page, '28-palette-800');
    });
  },
);
