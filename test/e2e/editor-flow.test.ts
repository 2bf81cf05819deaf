import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { sessionTokenOf } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

/** Long enough for a reply to go inbound → run → outbox → sandbox send on a loaded 2-core machine. */
const REPLY_TIMEOUT_MS = 30_000;

async function dragFromPalette(page: Page, type: string, x: number, y: number): Promise<void> {
  const canvas = page.locator('.canvas');
  await page.locator(`[data-node-type="${type}"]`).dragTo(canvas, { targetPosition: { x, y } });
}

/** Drags a connection from a node's output port to a target (a handle or a whole node), with real mouse moves. */
async function connect(page: Page, from: Locator, port: string, to: Locator): Promise<void> {
  const source = await from.locator(`.react-flow__handle[data-handleid="${port}"]`).boundingBox();
  const target = await to.boundingBox();
  if (!source || !target) throw new Error('not on screen');
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 12 });
  await page.mouse.up();
}

const inputOf = (node: Locator): Locator => node.locator('.react-flow__handle[data-handleid="in"]');

const nodeOfKind = (page: Page, kind: string): Locator =>
  page.locator('.react-flow__node').filter({ has: page.locator('.flow-node-kind', { hasText: kind }) });

// Browser steps on a CI machine that runs other test files beside them can take far longer than usual.
describe.skipIf(!HAS_CHROMIUM)('the flow editor in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let flowUrl: string;

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi();
    base = `http://127.0.0.1:${api.process.port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('signs a new user up and shows the empty flows list', async () => {
    await page.goto(base);
    await page.getByRole('button', { name: 'No account yet? Sign up' }).click();
    await page.getByLabel('Your name').fill('Ada');
    await page.getByLabel('Workspace name').fill('Ada & Co');
    await page.getByLabel('Email').fill(`ada-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await screenshot(page, '01-signup');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await poll(() => page.getByRole('heading', { name: 'Flows', exact: true }).isVisible()).toBe(true);
    await poll(() => page.getByText('No flows yet').isVisible()).toBe(true);
    await screenshot(page, '02-flows-empty');
  });

  it('builds a keyword flow from the palette, shows a validation error until it is fixed, and publishes it', async () => {
    await page.getByLabel('New flow name').fill('Price list');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.waitForURL(/\/flows\/[0-9a-f-]+$/);
    flowUrl = page.url();
    // A new flow is empty: the canvas says how to start and offers the example flows as templates.
    await poll(() => page.getByRole('region', { name: 'Start this flow' }).isVisible()).toBe(true);
    await poll(() => page.getByRole('button', { name: /Keyword auto-reply/ }).isVisible()).toBe(true);
    await screenshot(page, '02b-empty-flow');
    expect(await page.locator('.react-flow__node').count()).toBe(0);

    await dragFromPalette(page, 'message_received', 350, 120);
    await dragFromPalette(page, 'send_message', 350, 380);
    const trigger = nodeOfKind(page, 'Message received');
    const send = nodeOfKind(page, 'Send message');
    await poll(() => page.locator('.react-flow__node').count()).toBe(2);

    // Not connected yet: the engine's validation says the message node cannot be reached.
    await poll(() => send.locator('.flow-node-problems').textContent()).toContain('Not connected to a trigger');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.getByRole('tab', { name: /Problems \(1\)/ }).click();
    await poll(() => page.getByRole('list', { name: 'Validation problems' }).textContent()).toContain('Send message');
    await screenshot(page, '03-validation-error');

    // A trigger takes no input: that connection is refused while dragging.
    await connect(page, send, 'out', trigger);
    await poll(() => page.getByText('Connection refused: a trigger starts a flow').isVisible()).toBe(true);
    expect(await page.locator('.react-flow__edge').count()).toBe(0);

    await connect(page, trigger, 'out', inputOf(send));
    await poll(() => page.locator('.react-flow__edge').count()).toBe(1);
    await poll(() => page.locator('.flow-node-problems').count()).toBe(0);

    // Configure: keyword "price" on the trigger, the reply text on the message.
    await trigger.click();
    await page.getByRole('button', { name: 'Remove hi' }).click();
    // The tags input (its list of suggestions carries the same label: the input itself is meant).
    await page.getByLabel('Keywords', { exact: true }).and(page.locator('input')).fill('price');
    await page.keyboard.press('Enter');
    await send.click();
    await page.getByLabel('Text', { exact: true }).fill('');
    await poll(() => send.locator('.flow-node-problems').textContent()).toContain('needs text');
    await page.getByLabel('Text', { exact: true }).fill('Our prices: basic 10 EUR, pro 20 EUR');
    await poll(() => page.locator('.flow-node-problems').count()).toBe(0);
    await poll(() => trigger.textContent()).toContain('keywords: price');
    await screenshot(page, '04-configured');

    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.getByRole('button', { name: 'Publish…' }).click();
    await page.getByLabel('Note for this version (optional)').fill('First version');
    await page.getByRole('button', { name: 'Publish now' }).click();
    await poll(() => page.getByText('Published version 1').isVisible()).toBe(true);
    await screenshot(page, '05-published');
  });

  it('answers the keyword in the test chat and lights up the path taken', async () => {
    await page.getByRole('tab', { name: 'Test chat' }).click();
    // A new workspace has no sandbox channel: the chat offers to create one.
    await page.getByLabel('Message as the test contact').fill('price');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('button', { name: 'Create a sandbox channel' }).click();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const log = page.getByRole('log', { name: 'Conversation' });
    await poll(() => log.textContent(), REPLY_TIMEOUT_MS).toContain('Our prices: basic 10 EUR, pro 20 EUR');
    await poll(() => page.locator('.flow-node[data-on-path="true"]').count(), REPLY_TIMEOUT_MS).toBe(2);
    // Each node on the path shows what the run did there; the tooltip has the step's input and output.
    const sendStep = nodeOfKind(page, 'Send message').locator('.flow-node-step');
    await poll(() => sendStep.count(), REPLY_TIMEOUT_MS).toBe(1);
    expect(await sendStep.getAttribute('data-step-error')).toBeNull();
    expect(await sendStep.getAttribute('title')).toMatch(/^Input: [\s\S]*\nOutput: [\s\S]*Our prices/);
    await screenshot(page, '06-test-chat');
  });

  it('finds everything saved after a reload', async () => {
    await poll(() => page.locator('[data-save-status]').getAttribute('data-save-status')).toBe('saved');
    await page.reload();
    await page.locator('.react-flow__node').first().waitFor();
    expect(await page.locator('.react-flow__node').count()).toBe(2);
    expect(await page.locator('.react-flow__edge').count()).toBe(1);
    expect(await nodeOfKind(page, 'Message received').textContent()).toContain('keywords: price');
    expect(await nodeOfKind(page, 'Send message').textContent()).toContain('Our prices');
    expect(await page.getByTestId('publication-state').textContent()).toBe('Published v1');
    await screenshot(page, '07-reloaded');
  });

  it('tells the second of two tabs editing the same flow that its changes conflict, without overwriting', async () => {
    const other = await context.newPage();
    await other.goto(flowUrl);
    await other.locator('.react-flow__node').first().waitFor();

    await nodeOfKind(page, 'Send message').click();
    await page.getByLabel('Text', { exact: true }).fill('Edited in the first tab');
    await poll(() => page.locator('[data-save-status]').getAttribute('data-save-status')).toBe('saved');

    await nodeOfKind(other, 'Send message').click();
    await other.getByLabel('Text', { exact: true }).fill('Edited in the second tab');
    await poll(() => other.locator('[data-save-status]').getAttribute('data-save-status')).toBe('conflict');
    expect(await other.getByRole('alert').first().textContent()).toContain('changed in another tab');
    await screenshot(other, '08-conflict');

    const saved = await api.client.as(await sessionTokenOf(page)).get(`/api/v1/flows/${flowUrl.split('/').at(-1)}`);
    expect(JSON.stringify(saved.body.document)).toContain('Edited in the first tab');
    await other.close();
  });
});
