import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { addSessionCookies, sessionTokenOf } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';
import { REPO_ROOT } from '../support/cli-process.ts';

const EMAIL = `tools-${Date.now()}@example.com`;
const PASSWORD = 'correct horse battery';

/** Adds a channel through the Channels page's modal. */
async function addChannel(page: Page, kind: string, name: string, url?: string): Promise<void> {
  await page.getByRole('button', { name: 'Add channel' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a channel' });
  await dialog.getByRole('combobox', { name: 'Kind' }).click();
  await dialog.getByRole('option', { name: kind }).click();
  await dialog.getByLabel('Name').fill(name);
  if (url) await dialog.getByLabel('Outbound URL').fill(url);
  await dialog.getByRole('button', { name: 'Add channel' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

const row = (page: Page, name: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });

describe.skipIf(!HAS_CHROMIUM)(
  'the flows list, the canvas tools and the channels page in Chromium',
  { timeout: E2E_TEST_TIMEOUT_MS },
  () => {
    let api: TestApi;
    let browser: Browser;
    let page: Page;
    let base: string;

    beforeAll(async () => {
      ensureEditorBuilt();
      // WhatsApp numbers get a fake socket that shows a QR and waits (no test reaches WhatsApp).
      process.env.ONEMESSAGE_WA_FAKE_SOCKET = 'qr';
      api = await startTestApi();
      base = `http://127.0.0.1:${api.process.port}`;
      const signup = await api.client.post('/api/v1/auth/signup', {
        email: EMAIL,
        password: PASSWORD,
        name: 'Tess',
        workspaceName: 'Tools',
      });
      expect(signup.status).toBe(201);
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
      await addSessionCookies(context, base, signup);
      page = await context.newPage();
      // Confirmations (delete, restore) are accepted, as a user would.
      page.on('dialog', (dialog) => void dialog.accept());
    }, 120_000);

    afterAll(async () => {
      delete process.env.ONEMESSAGE_WA_FAKE_SOCKET;
      await browser?.close();
      await api?.close();
    });

    it('creates, renames, duplicates, exports, imports and deletes flows from the list', async () => {
      await page.goto(`${base}/flows`);
      await page.getByLabel('New flow name').fill('Alpha');
      await page.getByRole('button', { name: 'Create flow' }).click();
      await page.waitForURL(/\/flows\/[0-9a-f-]+$/);
      await page.getByRole('link', { name: '← Flows' }).click();

      await page.getByRole('button', { name: 'Rename Alpha' }).click();
      await page.getByLabel('New name').fill('Beta');
      await page.getByRole('button', { name: 'Save' }).click();
      await row(page, 'Beta').waitFor();

      await page.getByRole('button', { name: 'Duplicate Beta' }).click();
      await row(page, 'Copy of Beta').waitFor();

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Beta' }).click()]);
      const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
      expect(exported.name).toBe('Beta');
      expect(exported.document.nodes).toHaveLength(0);

      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Import JSON' }).click()]);
      await chooser.setFiles({
        name: 'gamma.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify({ ...exported, name: 'Gamma' })),
      });
      await row(page, 'Gamma').waitFor();

      await page.getByRole('button', { name: 'Delete Copy of Beta' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete flow' }).click();
      await poll(() => row(page, 'Copy of Beta').count()).toBe(0);
      await screenshot(page, '10-flows-list');
    });

    it('adds nodes by keyboard, undoes and redoes, copies and pastes, lays out, and publishes', async () => {
      await page.getByRole('link', { name: 'Beta', exact: true }).click();
      await page.getByRole('region', { name: 'Start this flow' }).waitFor();
      await page.locator('[data-node-type="message_received"]').focus();
      await page.keyboard.press('Enter');
      await poll(() => page.locator('.react-flow__node').count()).toBe(1);
      await poll(() => page.getByRole('button', { name: 'Undo' }).isEnabled()).toBe(true);
      await page.locator('[data-node-type="send_message"]').focus();
      await page.keyboard.press('Enter');
      await poll(() => page.locator('.react-flow__node').count()).toBe(2);

      await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
      await poll(() => page.getByRole('button', { name: 'Undo' }).isEnabled()).toBe(true);
      await page.keyboard.press('Control+z');
      await poll(() => page.locator('.react-flow__node').count()).toBe(1);
      await page.keyboard.press('Control+Shift+z');
      await poll(() => page.locator('.react-flow__node').count()).toBe(2);

      const send = page.locator('.react-flow__node').filter({ hasText: 'Send message' }).first();
      await send.click();
      await page.locator('.react-flow__pane').focus();
      await page.keyboard.press('Control+c');
      await page.keyboard.press('Control+v');
      await poll(() => page.locator('.react-flow__node').count()).toBe(3);
      // The copy is a message nobody reaches: one problem, and deleting it by keyboard removes it.
      await poll(() => page.locator('.flow-node-problems').count()).toBeGreaterThan(0);
      await page.keyboard.press('Delete');
      await poll(() => page.locator('.react-flow__node').count()).toBe(2);

      // Connect the trigger to the message, then lay out: the message ends up below the trigger.
      const trigger = page.locator('.react-flow__node').filter({ hasText: 'Message received' });
      const source = (await trigger.locator('[data-handleid="out"]').boundingBox())!;
      const target = (await send.locator('[data-handleid="in"]').boundingBox())!;
      await page.mouse.move(source.x + 6, source.y + 6);
      await page.mouse.down();
      await page.mouse.move(target.x + 6, target.y + 6, { steps: 10 });
      await page.mouse.up();
      await screenshot(page, '10b-connected');
      await poll(() => page.locator('.react-flow__edge').count()).toBe(1);
      await page.getByRole('button', { name: 'Auto-layout' }).click();
      await poll(async () => (await send.boundingBox())!.y > (await trigger.boundingBox())!.y + 40).toBe(true);

      await page.getByRole('button', { name: 'Publish…' }).click();
      await page.getByRole('button', { name: 'Publish now' }).click();
      await poll(() => page.getByText('Published version 1').isVisible()).toBe(true);
      await page.getByRole('tab', { name: 'Versions' }).click();
      await page.getByRole('button', { name: 'Compare with draft' }).click();
      await poll(() => page.getByText('The draft is the same as this version.').isVisible()).toBe(true);
      await page.getByRole('tab', { name: 'Runs' }).click();
      await poll(() => page.getByText('No runs yet').isVisible()).toBe(true);
      await screenshot(page, '11-canvas-tools');
    });

    it('edits a condition with the builder in the side panel and connects it by keyboard', async () => {
      await page.locator('[data-node-type="condition"]').focus();
      await page.keyboard.press('Enter');
      const condition = page.locator('.react-flow__node').filter({ hasText: 'Condition' });
      await condition.click();
      await page.getByLabel('Value').fill('gold');
      await poll(() => page.getByLabel('Rule as JSON').inputValue()).toContain('"gold"');
      // Connecting without a pointer: the output's "next step" chooser draws the edge.
      const edges = await page.locator('.react-flow__edge').count();
      const next = page.getByLabel('Next step when “True”').and(page.locator('input'));
      // A searchable picker of the nodes by their labels (Mantine Select): type part of a name, pick it.
      await next.click();
      await next.fill('Send');
      await page
        .getByRole('option', { name: /Send message/ })
        .first()
        .click();
      await poll(() => page.locator('.react-flow__edge').count()).toBe(edges + 1);
      await screenshot(page, '12-condition-builder');
    });

    it('saves the last edits when leaving the editor before autosave, and switches the flow off from the list', async () => {
      await page.getByLabel('Value').fill('platinum');
      await page.getByRole('link', { name: '← Flows' }).click();
      const client = api.client.as(await sessionTokenOf(page));
      await poll(async () => {
        const beta = (await client.get('/api/v1/flows')).body.items.find((f: any) => f.name === 'Beta');
        return JSON.stringify((await client.get(`/api/v1/flows/${beta.id}`)).body.document);
      }).toContain('platinum');
      const active = row(page, 'Beta').getByRole('switch');
      await poll(() => active.isChecked()).toBe(true);
      // The switch follows the saved state: it turns off once the server has answered.
      await active.click();
      await poll(
        async () =>
          (await api.client.as(await sessionTokenOf(page)).get('/api/v1/flows')).body.items.find((f: any) => f.name === 'Beta').active,
      ).toBe(false);
    });

    it('adds a sandbox channel on the channels page', async () => {
      await page.getByRole('link', { name: 'Channels' }).click();
      await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
      await addChannel(page, 'Sandbox (test chat, no phone)', 'Support sandbox');
      await poll(() => page.getByRole('listitem').filter({ hasText: 'Support sandbox' }).textContent()).toContain('Ready');
      await screenshot(page, '13-channels');
    });

    it('adds a webhook channel and shows its signing secret once', async () => {
      await addChannel(page, 'Webhook (any other service over HTTP)', 'Other service', 'https://example.com/onemessage');
      await poll(() => page.getByText(/Signing secret of “Other service”/).isVisible()).toBe(true);
      await poll(() => page.getByRole('listitem').filter({ hasText: 'Other service' }).textContent()).toContain('example.com');
    });

    it('adds a WhatsApp number and follows its login status live', async () => {
      await addChannel(page, 'WhatsApp number', 'Sales phone');
      const item = page.getByRole('listitem').filter({ hasText: 'Sales phone' });
      await poll(() => item.locator('[data-channel-status]').getAttribute('data-channel-status')).toBe('disconnected');
      expect(await item.locator('[data-channel-status]').textContent()).toBe('Not connected');
      // The live events stream answered (a missing one would say so in an alert).
      await page.waitForTimeout(500);
      expect(await item.getByRole('alert').count()).toBe(0);
      // Connect: the QR arrives over the live events and is drawn as an image to scan, with where to scan it.
      await item.getByRole('button', { name: 'Connect' }).click();
      const qr = item.getByRole('img', { name: /QR code/ });
      await poll(() => qr.isVisible()).toBe(true);
      expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      await poll(() => item.locator('[data-channel-status]').getAttribute('data-channel-status')).toBe('qr');
      expect(await item.getByText('Scan this code in WhatsApp → Linked devices', { exact: true }).isVisible()).toBe(true);
      await screenshot(page, '15-whatsapp-login');
    });

    it('opens every example flow with all its nodes and no problem', async () => {
      const token = await sessionTokenOf(page);
      const dir = join(REPO_ROOT, 'examples/flows');
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        const example = JSON.parse(readFileSync(join(dir, file), 'utf8'));
        const imported = await api.client.as(token).post('/api/v1/flows/import', example);
        expect(imported.status).toBe(201);
        await page.goto(`${base}/flows/${imported.body.id}`);
        await poll(() => page.locator('.react-flow__node').count()).toBe(example.document.nodes.length);
        await poll(() => page.getByRole('tab', { name: 'Problems (0)' }).isVisible()).toBe(true);
        await screenshot(page, `14-example-${file.replace(/\.json$/, '')}`);
      }
      expect(errors).toEqual([]);
    });

    it('logs out, which ends the session on the server, and back in without keeping the token in page storage', async () => {
      await page.goto(`${base}/flows`);
      const before = await sessionTokenOf(page);
      expect((await api.client.as(before).get('/api/v1/auth/me')).status).toBe(200);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByLabel('Email').waitFor();
      expect((await api.client.as(before).get('/api/v1/auth/me')).status).toBe(401);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await poll(() =>
        page
          .locator('input[aria-label="Workspace"]')
          .inputValue()
          .catch(() => ''),
      ).toBe('Tools');
      const after = await sessionTokenOf(page);
      expect(after).not.toBe(before);
      expect(JSON.stringify((await page.context().storageState()).origins)).not.toContain(after);
    });
  },
);
