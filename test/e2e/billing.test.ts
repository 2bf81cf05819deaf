import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { billingEnv, FakeStripe, PRICE_PRO, signedEvent } from '../support/fake-stripe.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

const EMAIL = 'owner-billing@example.com';
const PASSWORD = 'billing horse battery';

describe.skipIf(!HAS_CHROMIUM)('the billing page in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  const fake = new FakeStripe();
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let base: string;
  let workspaceId: string;
  const violations = violationRecorder();

  beforeAll(async () => {
    ensureEditorBuilt();
    await fake.start();
    api = await startTestApi(billingEnv(fake));
    base = `http://127.0.0.1:${api.process.port}`;
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: EMAIL,
      password: PASSWORD,
      name: 'Olga Owner',
      workspaceName: 'Billing Co',
    });
    expect(signup.status).toBe(201);
    workspaceId = signup.body.workspace.id;
    // 900 of the free plan's 1,000 automated messages already sent this period (the counter the outbox keeps).
    await runSql(api.env.orm.em.fork(), `update billing_usage set automated_messages = 900 where workspace_id = :workspaceId`, {
      workspaceId,
    });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await violations.watch(context);
    page = await context.newPage();
    // Stripe's hosted Checkout page stands in here: the browser must not reach the internet.
    await context.route('https://checkout.stripe.test/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Stripe Checkout (test)</h1>' }),
    );
    await context.route('https://billing.stripe.test/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Stripe Customer Portal (test)</h1>' }),
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await fake.stop();
  });

  it('shows the owner the 90 % banner, the usage bars with the period end, and the plans', async () => {
    await page.goto(`${base}/settings/billing`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
    // Mantine names the alert by its title.
    const banner = page.getByRole('status', { name: /You have used 90 % of your automated messages/ });
    await poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain('The period ends on');
    const bar = page.getByRole('progressbar', { name: 'automated messages per billing period: 90 % used' });
    await poll(() => bar.isVisible()).toBe(true);
    expect(await bar.getAttribute('aria-valuenow')).toBe('90');
    await poll(() => page.getByText('900 of 1,000 (90 %)').isVisible()).toBe(true);
    expect(await page.getByText(/^Current period: .+ to .+$/).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Upgrade to Pro' }).isVisible()).toBe(true);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).isVisible()).toBe(true);
    await screenshot(page, 'billing-90-percent-1440');
    await page.setViewportSize({ width: 800, height: 900 });
    await screenshot(page, 'billing-90-percent-800');
    await page.setViewportSize({ width: 1440, height: 900 });
    // The banner is on every page, not only this one.
    await page.goto(`${base}/flows`);
    await poll(() => page.getByRole('status', { name: /You have used 90 %/ }).isVisible()).toBe(true);
  });

  it('tells the owner at 100 % that flows and broadcasts have stopped and that agents still reply', async () => {
    await runSql(api.env.orm.em.fork(), `update billing_usage set automated_messages = 1000 where workspace_id = :workspaceId`, {
      workspaceId,
    });
    await page.goto(`${base}/settings/billing`);
    const banner = page.getByRole('status', { name: /You have used all your automated messages per billing period/ });
    await poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain("agents' replies still go out");
    // The banner comes from the app shell's query, the bars from the page's own: the bars may render a moment later.
    await poll(() => page.getByRole('progressbar', { name: 'automated messages per billing period: 100 % used' }).isVisible()).toBe(true);
    await screenshot(page, 'billing-100-percent-1440');
  });

  it('sends the owner to Stripe Checkout for the plan chosen', async () => {
    await page.goto(`${base}/settings/billing`);
    await page.getByRole('button', { name: 'Upgrade to Pro' }).click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    expect(fake.requests.filter((r) => r.path === '/v1/checkout/sessions').map((r) => r.params.get('line_items[0][price]'))).toEqual([
      PRICE_PRO,
    ]);
  });

  it('shows the new plan, the card and the invoice once Stripe confirms, and the banner is gone', async () => {
    const customerId = [...fake.customers.keys()][0]!;
    const now = Math.floor(Date.now() / 1000);
    fake.setSubscription({
      id: 'sub_Fke2e',
      customer: customerId,
      status: 'active',
      price: PRICE_PRO,
      current_period_start: now,
      current_period_end: now + 30 * 86_400,
      card: { brand: 'visa', last4: '4242', exp_month: 8, exp_year: 2031 },
    });
    for (const event of [
      {
        id: 'evt_Fke2e1',
        type: 'checkout.session.completed',
        created: now,
        object: {
          id: 'cs_test_Fke2e',
          object: 'checkout.session',
          customer: customerId,
          subscription: 'sub_Fke2e',
          client_reference_id: workspaceId,
        },
      },
      {
        id: 'evt_Fke2e2',
        type: 'invoice.paid',
        created: now,
        object: {
          id: 'in_Fke2e',
          object: 'invoice',
          customer: customerId,
          number: 'BILL-0001',
          status: 'paid',
          amount_due: 4900,
          amount_paid: 4900,
          currency: 'usd',
          hosted_invoice_url: 'https://invoice.stripe.test/i/Fke2e',
          created: now,
        },
      },
    ]) {
      const { body, signature } = signedEvent(event);
      const res = await api.client.request('post', '/hooks/stripe', undefined, {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      });
      expect(res.status).toBe(200);
    }
    await page.goto(`${base}/settings/billing?checkout=done`);
    await poll(() => page.getByRole('heading', { name: 'Pro plan' }).isVisible()).toBe(true);
    await poll(() => page.getByText('VISA ending in 4242, expires 08/2031').isVisible()).toBe(true);
    await poll(() => page.getByRole('table', { name: 'Invoices' }).getByText('BILL-0001').isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'View invoice' }).getAttribute('href')).toBe('https://invoice.stripe.test/i/Fke2e');
    expect(await page.getByText(/You have used/).count()).toBe(0);
    await screenshot(page, 'billing-pro-1440');
  });

  it("sends the owner to Stripe's Customer Portal from Manage billing, coming back to this page", async () => {
    await page.goto(`${base}/settings/billing`);
    await page.getByRole('button', { name: 'Manage billing' }).click();
    await page.waitForURL(/^https:\/\/billing\.stripe\.test\/p\/session\//);
    const portal = fake.requests.filter((r) => r.path === '/v1/billing_portal/sessions');
    expect(portal.map((r) => [r.params.get('customer'), r.params.get('return_url')])).toEqual([
      [[...fake.customers.keys()][0], expect.stringMatching(/^http:\/\/localhost:\d+\/settings\/billing$/)],
    ]);
    expect(await violations.all()).toEqual([]);
  });
});
