// @vitest-environment happy-dom
import { act, cleanup, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BillingInfo } from '../api/queries/billing.queries.ts';
import { UsageBanner } from '../billing/usage-banner.tsx';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { BillingPage } from './billing-page.tsx';

const FREE = { messagesPerPeriod: 1000, numbers: 1, seats: 3, activeFlows: 3, broadcastRecipientsPerMonth: 500, retentionDays: 30 };
const PRO = { messagesPerPeriod: 50000, numbers: 5, seats: 10, activeFlows: 50, broadcastRecipientsPerMonth: 25000, retentionDays: 365 };
const BUSINESS = { ...PRO, messagesPerPeriod: 500000, activeFlows: null };

function billing(used: number): BillingInfo {
  const threshold = used >= 1000 ? 100 : used >= 900 ? 90 : used >= 800 ? 80 : null;
  return {
    enabled: true,
    plan: { id: 'free', name: 'Free', priceLabel: '$0', entitlements: FREE },
    plans: [
      { id: 'free', name: 'Free', priceLabel: '$0', entitlements: FREE, current: true, purchasable: false },
      { id: 'pro', name: 'Pro', priceLabel: '$49 / month', entitlements: PRO, current: false, purchasable: true },
      { id: 'business', name: 'Business', priceLabel: '$199 / month', entitlements: BUSINESS, current: false, purchasable: true },
    ],
    subscription: null,
    period: { start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' },
    usage: [
      { entitlement: 'messagesPerPeriod', label: 'automated messages per billing period', used, limit: 1000, threshold },
      { entitlement: 'agentMessages', label: "agents' replies this period (not limited)", used: 12, limit: null, threshold: null },
      { entitlement: 'seats', label: 'seats (members and pending invitations)', used: 1, limit: 3, threshold: null },
      { entitlement: 'retentionDays', label: 'days of message history kept', used: null, limit: 30, threshold: null },
    ],
    alert: threshold === null ? null : { threshold, entitlement: 'messagesPerPeriod', label: 'automated messages per billing period' },
    card: { brand: 'visa', last4: '4242', expMonth: 8, expYear: 2031 },
    billingAddress: { line1: '1 Main St', line2: null, city: 'Springfield', postalCode: '12345', state: null, country: 'US' },
    invoices: [
      {
        id: 'in_1',
        number: 'OM-0001',
        status: 'paid',
        amountDue: 4900,
        amountPaid: 4900,
        currency: 'usd',
        hostedInvoiceUrl: 'https://invoice.stripe.test/i/1',
        createdAt: '2026-12-02T10:00:00.000Z',
      },
    ],
  };
}

function fakeApi(role: string, body: BillingInfo) {
  return vi.fn(async (url: string) => {
    const path = url.replace('/api/v1', '');
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/auth/me')
      return json({ user: { id: 'a', email: 'o@example.com', name: 'Olga' }, workspace: { id: 'w', name: 'W' }, role, workspaces: [] });
    if (path === '/billing') return json(body);
    return json({ error: { code: 'not_found', message: path } }, 404);
  });
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the billing page', () => {
  it('shows the plan cards with Upgrade, Manage billing, the usage bars with the period end, the card and the invoices', async () => {
    vi.stubGlobal('fetch', fakeApi('owner', billing(850)));
    renderInApp(<BillingPage />, { path: '/settings/billing' });
    for (let i = 0; i < 5; i++) await settle();
    expect(screen.getByRole('heading', { name: 'Free plan' })).toBeTruthy();
    expect(screen.getByText(/^Current period: .+ to .*2027$/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Manage billing' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Upgrade to Pro' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Upgrade to Business' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Upgrade to Free' })).toBeNull();
    expect(screen.getByText('850 of 1,000 (85 %)')).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'automated messages per billing period: 85 % used' })).toBeTruthy();
    expect(screen.getByText('12 of unlimited')).toBeTruthy();
    expect(screen.getByText('VISA ending in 4242, expires 08/2031')).toBeTruthy();
    const invoices = screen.getByRole('table', { name: 'Invoices' });
    expect(within(invoices).getByText('OM-0001')).toBeTruthy();
    expect(within(invoices).getByRole('link', { name: 'View invoice' }).getAttribute('href')).toBe('https://invoice.stripe.test/i/1');
  });
});

describe('the usage banner', () => {
  it.each([
    [800, 'You have used 80 % of your automated messages per billing period', 'Upgrade before you run out.'],
    [900, 'You have used 90 % of your automated messages per billing period', 'Upgrade before you run out.'],
    [1000, 'You have used all your automated messages per billing period', "agents' replies still go out"],
  ])('at %i of 1,000 tells the owner', async (used, title, body) => {
    vi.stubGlobal('fetch', fakeApi('owner', billing(used)));
    renderInApp(<UsageBanner />);
    for (let i = 0; i < 5; i++) await settle();
    const banner = screen.getByRole('status');
    expect(banner.textContent).toContain(title);
    expect(banner.textContent).toContain(body);
  });

  it('says nothing below 80 %, and never asks the API for billing for someone who is not an owner', async () => {
    vi.stubGlobal('fetch', fakeApi('owner', billing(799)));
    renderInApp(<UsageBanner />);
    for (let i = 0; i < 5; i++) await settle();
    expect(screen.queryByRole('status')).toBeNull();
    cleanup();
    const fetch = fakeApi('admin', billing(1000));
    vi.stubGlobal('fetch', fetch);
    renderInApp(<UsageBanner />);
    for (let i = 0; i < 5; i++) await settle();
    expect(screen.queryByRole('status')).toBeNull();
    expect(fetch.mock.calls.map((c) => String(c[0]))).not.toContain('/api/v1/billing');
  });
});
