import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalMediaStore } from '../../connectors/whatsapp/media-store.ts';
import { doc, edge, keywordTrigger, node } from '../../engine/flows/flow-document.fixture.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import type { ApiClient } from '../support/api-client.ts';
import { inviteMember, type InvitedMember } from '../support/invite-member.ts';
import { publishFlow } from '../support/publish-flow.ts';
import { addSessionCookies } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const RUN = Date.now();
const OWNER = {
  name: 'Olivia Owner',
  email: `inbox-owner-${RUN}@example.com`,
  password: 'correct horse battery',
  workspace: 'Acme Support',
};
const AGENT = { name: 'Alex Agent', email: `inbox-agent-${RUN}@example.com`, password: 'agent horse battery', role: 'agent' };
const CONTACT = { phone: '+15550107777', name: 'Ada Lovelace' };
/** Long enough for inbound → run → hand-off → live event, or reply → outbox → sandbox → delivered, on a loaded 2-core machine. */
const LIVE_TIMEOUT_MS = 30_000;
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 800, height: 900 };
/** A 2×2 red PNG: the contact's "receipt". */
const RECEIPT_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000164944415478da63f8cfc0f09f8181e13f03c37f0600470806fe3a8d27f20000000049454e44ae426082',
  'hex',
);

/** Each page is looked at as a support agent would: at laptop width and at a narrow window. */
async function screenshots(page: Page, name: string): Promise<void> {
  await dismissNotifications(page);
  await screenshot(page, `inbox-${name}-1440`);
  await page.setViewportSize(NARROW);
  // The layout settles (media queries, the sidebar) before the narrow shot.
  await page.waitForTimeout(300);
  await screenshot(page, `inbox-${name}-800`);
  await page.setViewportSize(WIDE);
  await page.waitForTimeout(300);
}

/** The green "saved" notifications close by themselves after a while; a screenshot shows the page under them. */
async function dismissNotifications(page: Page): Promise<void> {
  for (const close of await page.locator('.mantine-Notification-root .mantine-Notification-closeButton').all())
    await close.click().catch(() => undefined);
  await page
    .locator('.mantine-Notification-root')
    .first()
    .waitFor({ state: 'detached' })
    .catch(() => undefined);
}

/** A choice of a segmented control (its radio input is hidden under the label). */
const segment = (page: Page, label: string) => page.locator('.mantine-SegmentedControl-label', { hasText: label });

describe.skipIf(!HAS_CHROMIUM)('the support inbox in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let base: string;
  let browser: Browser;
  let owner: ApiClient;
  let ownerPage: Page;
  let agentPage: Page;
  let agent: InvitedMember;
  let channelId: string;
  let conversationId = '';
  let dataDir = '';
  let workspaceId = '';
  const violations = violationRecorder();

  /** The contact writes to the sandbox channel, as WhatsApp would deliver it. */
  async function contactWrites(text: string): Promise<{ conversationId: string; messageId: string }> {
    const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: CONTACT.phone, name: CONTACT.name, text });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body;
  }

  const nav = (page: Page, label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });
  const conversationRow = (page: Page) =>
    page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: new RegExp(`^${CONTACT.name}`) });
  const stateOf = (page: Page) => page.getByTestId('conversation-state').getAttribute('data-state');

  beforeAll(async () => {
    ensureEditorBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'om-e2e-inbox-'));
    api = await startTestApi({ ONEMESSAGE_DATA_DIR: dataDir });
    base = `http://127.0.0.1:${api.process.port}`;
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: OWNER.email,
      password: OWNER.password,
      name: OWNER.name,
      workspaceName: OWNER.workspace,
    });
    expect(signup.status).toBe(201);
    owner = api.client.as(signup.body.token);
    workspaceId = signup.body.workspace.id;
    channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox line' })).body.id;
    agent = await inviteMember(owner, AGENT);
    // "help…" hands the conversation off with a note; "hi" is the bot's.
    await publishFlow(
      api,
      signup.body.workspace.id,
      doc(
        [
          keywordTrigger('help', ['help'], 'starts_with'),
          node('handoff', 'hand_off', { note: 'asks for a refund' }),
          keywordTrigger('hi', ['hi']),
          node('reply', 'send_message', { text: 'Hello from the bot' }),
        ],
        [edge('help', 'out', 'handoff'), edge('hi', 'out', 'reply')],
      ),
      'Support bot',
    );
    browser = await launchChromium();
    const ownerContext = await browser.newContext({ viewport: WIDE });
    await violations.watch(ownerContext);
    await addSessionCookies(ownerContext, base, signup);
    ownerPage = await ownerContext.newPage();
    ownerPage.on('dialog', (dialog) => void dialog.accept());
    const agentContext = await browser.newContext({ viewport: WIDE });
    await violations.watch(agentContext);
    agentPage = await agentContext.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('an admin creates the Support team with the agent, a quick reply and a routing rule', async () => {
    await ownerPage.goto(`${base}/flows`);
    await nav(ownerPage, 'Teams').click();
    await ownerPage.getByRole('heading', { name: 'Teams', level: 1 }).waitFor();
    await ownerPage.getByRole('button', { name: 'New team' }).click();
    const form = ownerPage.getByRole('dialog', { name: 'New team' });
    await form.getByLabel('Name').fill('Support');
    await form.getByLabel('Assignment', { exact: true }).click();
    await ownerPage.getByRole('option', { name: /^Manual/ }).click();
    await form.getByLabel('Default team for hand-offs').check();
    await form.getByLabel('Agents', { exact: true }).click();
    await ownerPage.getByRole('option', { name: new RegExp(AGENT.name) }).click();
    await form.getByLabel('Name').click();
    await form.getByLabel(`Capacity of ${AGENT.name} (${AGENT.email})`).fill('3');
    await screenshot(ownerPage, 'inbox-teams-form-1440');
    await form.getByRole('button', { name: 'Create team' }).click();
    const row = ownerPage.getByRole('row').filter({ hasText: 'Support' });
    await poll(() => row.textContent()).toContain(`${AGENT.name} (3)`);
    expect(await row.textContent()).toContain('Default');
    expect(await row.textContent()).toContain('Manual');
    await screenshots(ownerPage, 'teams');

    await nav(ownerPage, 'Quick replies').click();
    await ownerPage.getByRole('button', { name: 'New quick reply' }).click();
    const canned = ownerPage.getByRole('dialog', { name: 'New quick reply' });
    await canned.getByLabel('Shortcut').fill('refund');
    await canned.getByLabel('Title').fill('Refund on its way');
    await canned.getByRole('textbox', { name: /^Text/ }).fill('Hi {{contact.name | "there"}}, your refund is on its way: it takes 5 days.');
    await canned.getByRole('button', { name: 'Save' }).click();
    await poll(() => ownerPage.getByRole('table', { name: 'Quick replies' }).textContent()).toContain('/refund');
    await screenshots(ownerPage, 'quick-replies');

    await nav(ownerPage, 'Routing rules').click();
    await ownerPage.getByRole('button', { name: 'New rule' }).click();
    const rule = ownerPage.getByRole('dialog', { name: 'New routing rule' });
    await rule.getByLabel('Name').fill('Invoices to Support');
    await screenshot(ownerPage, 'inbox-routing-rule-form-1440');
    await rule.getByRole('button', { name: 'Save rule' }).click();
    await poll(() => ownerPage.getByRole('table', { name: 'Routing rules' }).textContent()).toContain('Invoices to Support');
    // The rule reads as words, not json-logic.
    expect(await ownerPage.getByRole('table', { name: 'Routing rules' }).textContent()).toContain('When Message text contains “invoice”');
    await screenshots(ownerPage, 'routing-rules');
  });

  it('the agent logs in, goes online, and sees a handed-off conversation appear live in the team queue', async () => {
    await agentPage.goto(base);
    await agentPage.getByLabel('Email').fill(AGENT.email);
    await agentPage.getByLabel('Password').fill(AGENT.password);
    await agentPage.getByRole('button', { name: 'Log in' }).click();
    await nav(agentPage, 'Inbox').click();
    await agentPage.getByRole('tab', { name: /Team queue/ }).click();
    await poll(() => agentPage.locator('[data-live]').getAttribute('data-live')).toBe('live');
    // The agent's role sees its own tabs: no All, no supervisor page, no team settings.
    expect(await agentPage.getByRole('tab', { name: /^All/ }).count()).toBe(0);
    expect(await nav(agentPage, 'Supervisor').count()).toBe(0);
    expect(await nav(agentPage, 'Teams').count()).toBe(0);
    await segment(agentPage, 'Online').click();
    await poll(async () => (await agent.client.get('/api/v1/me/availability')).body.availability).toBe('online');
    await screenshots(agentPage, 'agent-empty-queue');

    // Nothing reloads the page from here: the row comes over the agent's event stream.
    const navigations: string[] = [];
    agentPage.on('framenavigated', (frame) => frame === agentPage.mainFrame() && navigations.push(frame.url()));
    conversationId = (await contactWrites('help, I was charged twice')).conversationId;
    await poll(() => conversationRow(agentPage).count(), LIVE_TIMEOUT_MS).toBe(1);
    expect(navigations).toEqual([]);
    const row = conversationRow(agentPage);
    expect(await row.textContent()).toContain('asks for a refund');
    // The contact's name, what they wrote last, how long they wait, and one message the agent has not read.
    expect(await row.getAttribute('aria-label')).toContain(`${CONTACT.name}, 1 unread`);
    expect(await row.locator('[data-last-message]').textContent()).toBe('help, I was charged twice');
    expect(await row.textContent()).toContain('waiting');
    expect(await row.locator('[data-unread]').textContent()).toBe('1');

    // The contact sends a photo of the receipt (stored as WhatsApp media would be), and reacts to it.
    const photo = await contactWrites('my receipt');
    const em = api.env.orm.em.fork();
    const key = await new LocalMediaStore(join(dataDir, 'media')).put(channelId, 'receipt.png', RECEIPT_PNG);
    await runSql(
      em,
      `update messages set type = 'image', text = null, media = jsonb_build_object('storageKey', cast(:key as text), 'mimeType', 'image/png', 'fileName', 'receipt.png', 'caption', 'my receipt', 'sizeBytes', ${RECEIPT_PNG.length}),
              metadata = jsonb_build_object('reactions', jsonb_build_object('15550107777@s.whatsapp.net', jsonb_build_object('emoji', '🙏', 'at', now()::text)))
        where id = :id`,
      { key, id: photo.messageId },
    );
    // As the WhatsApp connector does once a message's media is stored: live inboxes hear of it.
    await api.process.inbox.messageAdded({ workspaceId, conversationId, messageId: photo.messageId, direction: 'inbound' });
    await poll(() => row.getAttribute('aria-label'), LIVE_TIMEOUT_MS).toContain(`${CONTACT.name}, 2 unread`);
    await poll(() => row.locator('[data-last-message]').textContent()).toBe('Photo: my receipt');
    await screenshots(agentPage, 'agent-queue-live');
  });

  it('the agent opens it, takes it, and replies with a quick reply that the contact receives', async () => {
    await conversationRow(agentPage).click();
    await agentPage.waitForURL(new RegExp(`/inbox/${conversationId}`));
    const history = agentPage.getByRole('log', { name: 'Conversation history' });
    await poll(() => history.textContent()).toContain('help, I was charged twice');
    expect(await history.textContent()).toContain('handed off by a flow');
    // The photo is shown from the product's own media route (the CSP allows nothing else), with the contact's reaction on it.
    const receipt = history.getByRole('img', { name: 'my receipt' });
    await poll(() => receipt.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(2);
    expect(await receipt.getAttribute('src')).toMatch(new RegExp(`^/api/v1/conversations/${conversationId}/messages/[0-9a-f-]+/media$`));
    expect(await history.getByLabel('Reactions: 🙏').count()).toBe(1);
    // Opening it reads it: the agent's read position is kept by the server, and the list's unread count goes.
    await poll(
      async () =>
        ((await agent.client.get('/api/v1/conversations?state=queued')).body.items as { id: string; unreadCount: number }[]).find(
          (c) => c.id === conversationId,
        )?.unreadCount,
    ).toBe(0);
    expect(await conversationRow(agentPage).getAttribute('aria-label')).not.toContain('unread');
    expect(await agentPage.getByRole('alert').filter({ hasText: 'Hand-off note' }).textContent()).toContain('asks for a refund');
    await poll(() => agentPage.getByRole('region', { name: 'Contact' }).textContent()).toContain('Support bot');
    expect(await agentPage.getByRole('region', { name: 'Contact' }).textContent()).toContain(CONTACT.phone);
    await screenshots(agentPage, 'agent-conversation-queued');

    await agentPage.getByRole('button', { name: 'Take' }).click();
    await poll(() => stateOf(agentPage)).toBe('assigned');
    await poll(async () => (await owner.get(`/api/v1/conversations/${conversationId}`)).body.assigneeUserId).toBe(agent.userId);

    const box = agentPage.getByRole('textbox', { name: 'Reply to the contact' });
    await box.click();
    await agentPage.keyboard.type('/ref');
    await agentPage
      .getByRole('listbox', { name: 'Quick replies' })
      .getByRole('option', { name: /refund/ })
      .waitFor();
    await screenshot(agentPage, 'inbox-agent-quick-reply-1440');
    await agentPage.keyboard.press('Enter');
    const filled = `Hi ${CONTACT.name}, your refund is on its way: it takes 5 days.`;
    await poll(() => box.inputValue()).toBe(filled);
    await agentPage.getByRole('button', { name: 'Send' }).click();
    await poll(() => box.inputValue()).toBe('');

    // The contact gets it on the sandbox channel: the outbound message is sent and reported delivered.
    await poll(async () => {
      const messages = (await owner.get(`/api/v1/conversations/${conversationId}/messages`)).body.items as {
        direction: string;
        sender: string;
        text: string;
        status: string;
        authorUserId: string | null;
      }[];
      const reply = messages.find((m) => m.direction === 'outbound' && m.sender === 'agent');
      return reply && { text: reply.text, author: reply.authorUserId, delivered: ['delivered', 'read'].includes(reply.status) };
    }, LIVE_TIMEOUT_MS).toEqual({ text: filled, author: agent.userId, delivered: true });
    await poll(() => history.textContent()).toContain(filled);
  });

  it('the agent adds a note, the supervisor sees the team, and the agent resolves', async () => {
    await segment(agentPage, 'Internal note').click();
    await agentPage.getByRole('textbox', { name: 'Internal note' }).fill('Refund issued in Stripe, ref 4242');
    await agentPage.getByRole('button', { name: 'Add note' }).click();
    await poll(() => agentPage.getByRole('note', { name: /^Note by/ }).textContent()).toContain('Refund issued in Stripe, ref 4242');
    // A note is never sent: the contact's messages have only the agent's one reply.
    const outbound = (await owner.get(`/api/v1/conversations/${conversationId}/messages`)).body.items.filter(
      (m: { direction: string }) => m.direction === 'outbound',
    );
    expect(outbound.map((m: { text: string }) => m.text)).not.toContain('Refund issued in Stripe, ref 4242');
    await screenshots(agentPage, 'agent-conversation-assigned');

    await nav(ownerPage, 'Supervisor').click();
    const team = ownerPage.getByRole('table', { name: 'Team figures' }).getByRole('row').filter({ hasText: 'Support' });
    await poll(() => team.locator('td').nth(4).textContent()).toBe('1');
    await poll(() => ownerPage.getByRole('table', { name: 'Agents' }).textContent()).toContain('1 of 3');
    await screenshots(ownerPage, 'supervisor');

    await agentPage.getByRole('button', { name: 'Resolve' }).click();
    await poll(() => stateOf(agentPage)).toBe('resolved');
    expect(await agentPage.getByRole('textbox', { name: 'Reply to the contact' }).isDisabled()).toBe(true);
    await screenshots(agentPage, 'agent-conversation-resolved');
  });

  it("the bot answers the contact's next message", async () => {
    const next = await contactWrites('hi');
    await poll(async () => {
      const messages = (await owner.get(`/api/v1/conversations/${next.conversationId}/messages`)).body.items as {
        direction: string;
        sender: string;
        text: string;
      }[];
      return messages.filter((m) => m.direction === 'outbound').map((m) => `${m.sender}: ${m.text}`);
    }, LIVE_TIMEOUT_MS).toContain('bot: Hello from the bot');
    expect((await owner.get(`/api/v1/conversations/${next.conversationId}`)).body.state).toBe('bot');

    // The owner sees both conversations of the contact under All.
    await nav(ownerPage, 'Inbox').click();
    await ownerPage.getByRole('tab', { name: /^All/ }).click();
    await poll(() => conversationRow(ownerPage).count()).toBe(2);
    await conversationRow(ownerPage).first().click();
    await poll(() => ownerPage.getByRole('log', { name: 'Conversation history' }).textContent()).toContain('Hello from the bot');
    await screenshots(ownerPage, 'owner-all');
    // Nothing of the inbox (live stream, media, Mantine's styles) breaks the content security policy.
    expect(await violations.all()).toEqual([]);
  });
});
