import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { freePort } from '../support/cli-process.ts';
import { sessionTokenOf } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const RUN = Date.now();
const OWNER = { name: 'Olivia Owner', email: `owner-${RUN}@example.com`, password: 'correct horse battery', workspace: 'Acme Support' };
const AGENT = { name: 'Alex Agent', email: 'agent@example.com', password: 'agent horse battery' };
const EXISTING = { name: 'Erin Elsewhere', email: `erin-${RUN}@example.com`, password: 'erin horse battery', workspace: 'Erin & Co' };
const SECRET = { name: 'PAY_KEY', value: 'sk_live_never_shown_4242abcd' };
/** Wide as a laptop screen: the pages are looked at in these screenshots, not only asserted on. */
const VIEWPORT = { width: 1440, height: 900 };

describe.skipIf(!HAS_CHROMIUM)('members, invitations, logout and secrets in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let base: string;
  let owner: Page;
  /** The agent's link, as the owner was shown it. */
  let invitedLink = '';
  const violations = violationRecorder();
  /** Contexts of other people (no cookies of the owner), closed at the end so their violations are read first. */
  const strangers: BrowserContext[] = [];

  async function strangerPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: VIEWPORT });
    await violations.watch(context);
    strangers.push(context);
    return context.newPage();
  }

  async function openMembers(page: Page): Promise<void> {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
  }

  async function invite(email: string, role: string): Promise<string> {
    await owner.getByLabel('Email').fill(email);
    await owner.getByLabel('Role').selectOption(role);
    await owner.getByRole('button', { name: 'Invite' }).click();
    const shown = owner.getByRole('status', { name: `Invitation link for ${email}` });
    await shown.waitFor();
    return shown.getByLabel('Invitation link').inputValue();
  }

  const pending = (page: Page) => page.getByRole('region', { name: 'Pending invitations' }).getByRole('listitem');
  const memberRow = (page: Page, name: string) => page.getByRole('row').filter({ hasText: name });

  beforeAll(async () => {
    ensureEditorBuilt();
    // A port known before the product starts, so that PUBLIC_URL (which invitation links are
    // built from) names the address the browser reaches: the test opens the link as shown.
    const port = await freePort();
    api = await startTestApi({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    base = `http://127.0.0.1:${api.process.port}`;
    const other = await api.client.post('/api/v1/auth/signup', {
      email: EXISTING.email,
      password: EXISTING.password,
      name: EXISTING.name,
      workspaceName: EXISTING.workspace,
    });
    expect(other.status).toBe(201);
    browser = await launchChromium();
    // The clipboard is allowed, as a browser asked by the person would: Copy link is tried for real.
    const context = await browser.newContext({ viewport: VIEWPORT, permissions: ['clipboard-read', 'clipboard-write'] });
    await violations.watch(context);
    owner = await context.newPage();
    // Confirmations (delete a secret) are accepted, as a user would.
    owner.on('dialog', (dialog) => void dialog.accept());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('an owner who signs up invites an agent and is shown the link once, with a Copy button, and the pending invitation', async () => {
    await owner.goto(base);
    await owner.getByRole('button', { name: 'No account yet? Sign up' }).click();
    await owner.getByLabel('Your name').fill(OWNER.name);
    await owner.getByLabel('Workspace name').fill(OWNER.workspace);
    await owner.getByLabel('Email').fill(OWNER.email);
    await owner.getByLabel('Password').fill(OWNER.password);
    await owner.getByRole('button', { name: 'Sign up', exact: true }).click();
    await openMembers(owner);
    await memberRow(owner, OWNER.name).waitFor();
    await screenshot(owner, 'members-01-owner-empty');

    const link = await invite(AGENT.email, 'agent');
    expect(link).toMatch(new RegExp(`^${base}/invitations/accept#token=[\\w-]+$`));
    const banner = owner.getByRole('status', { name: `Invitation link for ${AGENT.email}` });
    expect(await banner.textContent()).toMatch(/shown only now/);
    await banner.getByRole('button', { name: 'Copy link' }).click();
    await banner.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await owner.evaluate('navigator.clipboard.readText()')).toBe(link);
    await poll(() => pending(owner).filter({ hasText: AGENT.email }).count()).toBe(1);
    expect(await pending(owner).filter({ hasText: AGENT.email }).textContent()).toContain(OWNER.name);
    // The link is shown once: the list and a reload of the page never show it again.
    await screenshot(owner, 'members-02-invited-link-shown');
    await owner.reload();
    await pending(owner).filter({ hasText: AGENT.email }).waitFor();
    expect(await owner.content()).not.toContain(link.split('token=')[1]);
    invitedLink = link;
  });

  it('the invited person opens the link in their own browser, creates their account and lands in the workspace as an agent', async () => {
    const page = await strangerPage();
    await page.goto(invitedLink);
    await poll(() => page.getByText(`${OWNER.name} invited you to join ${OWNER.workspace} as an agent.`).isVisible()).toBe(true);
    expect(await page.getByText(`The invitation is for ${AGENT.email}`).isVisible()).toBe(true);
    await screenshot(page, 'members-03-accept-create-account');
    await page.getByLabel('Your name').fill(AGENT.name);
    await page.getByLabel('Choose a password').fill(AGENT.password);
    await page.getByRole('button', { name: 'Create account and join' }).click();

    await page.waitForURL(/\/flows$/);
    await poll(() =>
      page
        .locator('input[aria-label="Workspace"]')
        .inputValue()
        .catch(() => ''),
    ).toBe(OWNER.workspace);
    expect(await page.getByText(AGENT.email).isVisible()).toBe(true);
    await screenshot(page, 'members-04-agent-lands-on-flows');
    const me = await api.client.as(await sessionTokenOf(page)).get('/api/v1/auth/me');
    expect(me.body.role).toBe('agent');

    // On Members an agent sees who is in the workspace, not the invitation tools.
    await openMembers(page);
    await memberRow(page, OWNER.name).waitFor();
    expect(await page.getByRole('button', { name: 'Invite' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Pending invitations' }).count()).toBe(0);
    await screenshot(page, 'members-05-agent-members');

    // Secrets are not an agent's: the sidebar does not offer them, and their page, opened by its URL, says so in words, with nothing to fill in.
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).count()).toBe(0);
    await page.goto(`${base}/settings/secrets`);
    await page.getByText("Secrets are kept by the workspace's owners and admins.").waitFor();
    expect(await page.getByRole('button', { name: 'Add secret' }).count()).toBe(0);
    expect(await page.content()).not.toMatch(/needs one of the roles|forbidden/);
    await screenshot(page, 'secrets-03-agent');

    // The owner's Members page now lists the agent, and the invitation is no longer pending.
    await owner.reload();
    // An owner sees each member's access as a list to change it.
    await poll(() => owner.getByLabel(`Access of ${AGENT.name}`).inputValue()).toBe('agent');
    expect(await pending(owner).filter({ hasText: AGENT.email }).count()).toBe(0);
    await screenshot(owner, 'members-06-owner-sees-agent');
  });

  it('a revoked invitation link says in plain words that it cannot be used, and creates nothing', async () => {
    const email = `revoked-${RUN}@example.com`;
    const link = await invite(email, 'marketer');
    await owner.getByRole('button', { name: 'Done' }).click();
    await pending(owner).filter({ hasText: email }).getByRole('button', { name: 'Revoke' }).click();
    await poll(() => pending(owner).filter({ hasText: email }).count()).toBe(0);

    const page = await strangerPage();
    await page.goto(link);
    await poll(() => page.getByRole('heading', { name: 'This invitation cannot be used' }).isVisible()).toBe(true);
    expect(await page.getByRole('alert').textContent()).toContain('This invitation was withdrawn.');
    expect(await page.getByRole('alert').textContent()).not.toMatch(/invitation_revoked|\b4\d\d\b/);
    expect(await page.getByLabel('Choose a password').count()).toBe(0);
    await screenshot(page, 'members-07-revoked-link');
  });

  it('a link for an email that already has an account asks to log in first, then joins', async () => {
    const link = await invite(EXISTING.email, 'marketer');
    await owner.getByRole('button', { name: 'Done' }).click();
    const page = await strangerPage();
    await page.goto(link);
    const logInFirst = page.getByRole('form', { name: 'Log in first' });
    await logInFirst.waitFor();
    expect(await logInFirst.textContent()).toContain(`You already have an account for ${EXISTING.email}: log in first`);
    expect(await page.getByLabel('Choose a password').count()).toBe(0);
    await screenshot(page, 'members-08-accept-log-in-first');
    await logInFirst.getByLabel('Password').fill(EXISTING.password);
    await logInFirst.getByRole('button', { name: 'Log in', exact: true }).click();
    const join = page.getByRole('button', { name: `Join ${OWNER.workspace}` });
    await join.waitFor();
    await screenshot(page, 'members-09-accept-join');
    await join.click();

    await page.waitForURL(/\/flows$/);
    await poll(() =>
      page
        .locator('input[aria-label="Workspace"]')
        .inputValue()
        .catch(() => ''),
    ).toBe(OWNER.workspace);
    // Both workspaces are theirs now: the one they had and the one they joined.
    await page.locator('input[aria-label="Workspace"]').click();
    expect(await page.getByRole('option').allTextContents()).toEqual(expect.arrayContaining([OWNER.workspace, EXISTING.workspace]));
    await page.keyboard.press('Escape');
    await owner.reload();
    await poll(() => owner.getByLabel(`Access of ${EXISTING.name}`).inputValue()).toBe('marketer');

    // A marketer sees which secrets exist (to use them in flows), and cannot add one.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
    await page.getByText('Only owners and admins add, replace or delete secrets.').waitFor();
    expect(await page.getByRole('button', { name: 'Add secret' }).count()).toBe(0);
  });

  it('an admin adds a secret and sees only its name and last 4 characters, never the value, then deletes it', async () => {
    await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
    await owner.getByRole('heading', { name: 'Secrets', level: 1 }).waitFor();
    await screenshot(owner, 'secrets-01-empty');
    await owner.getByLabel('Name').fill(SECRET.name);
    await owner.getByLabel('Value').fill(SECRET.value);
    await owner.getByRole('button', { name: 'Add secret' }).click();
    const row = owner.getByRole('row').filter({ hasText: SECRET.name });
    await poll(() => row.textContent()).toContain(`…${SECRET.value.slice(-4)}`);
    expect(await row.textContent()).toContain(OWNER.name);
    // Not in the table, not left in the form's field, not anywhere in the page.
    expect(await owner.getByLabel('Value').inputValue()).toBe('');
    expect(await owner.content()).not.toContain(SECRET.value);
    await screenshot(owner, 'secrets-02-added');
    await owner.reload();
    await row.waitFor();
    expect(await owner.content()).not.toContain(SECRET.value);

    await row.getByRole('button', { name: 'Delete' }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Delete secret' }).click();
    await poll(() => row.count()).toBe(0);
    await poll(() => owner.getByText('No secrets yet.').isVisible()).toBe(true);
    const listed = await api.client.as(await sessionTokenOf(owner)).get('/api/v1/secrets');
    expect(listed.body.items).toEqual([]);
  });

  it('after logging out, reloading shows the login page and the old cookie, given back to the browser, opens nothing', async () => {
    const cookies = await owner.context().cookies();
    await owner.getByRole('button', { name: 'Log out' }).click();
    await owner.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    await owner.goto(`${base}/settings/members`);
    await owner.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    expect(await owner.getByRole('heading', { name: 'Members' }).count()).toBe(0);
    // A stolen copy of the cookie, put back: the server no longer accepts it, so still the login page.
    await owner.context().addCookies(cookies);
    await owner.reload();
    await owner.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    expect(await owner.getByRole('heading', { name: 'Members' }).count()).toBe(0);
    await screenshot(owner, 'logout-01-login-after-reload');
  });

  it('the pages ran with no Content-Security-Policy violation', async () => {
    expect(await violations.all()).toEqual([]);
    for (const context of strangers) await context.close();
  });
});
