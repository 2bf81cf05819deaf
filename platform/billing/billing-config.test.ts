import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTITLEMENTS, type Entitlements } from '../../engine/billing/plans.ts';
import { ConfigError } from '../config-error.ts';
import { loadBillingConfig, type BillingEnv } from './billing-config.ts';

const BASE: BillingEnv = { STRIPE_WEBHOOK_TOLERANCE_S: 300 };
const ON: BillingEnv = { ...BASE, STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' };

function plansFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'om-plans-')), 'plans.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The "Default plans" table of the README: plan id → entitlements, as an owner reads them there. */
function readmeDefaults(): Record<string, Entitlements> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  // The table right after the heading line, up to the blank line that ends it.
  const table = readme.slice(readme.indexOf('Default plans')).split('\n\n')[1] ?? '';
  const rows = table.split('\n').filter((line) => /^\| `\w+` \|/.test(line));
  const value = (cell: string): number | null => (cell === 'unlimited' ? null : Number(cell.replace(/,| days/g, '')));
  return Object.fromEntries(
    rows.map((line) => {
      const [id, , ...limits] = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/`/g, ''));
      const [messagesPerPeriod, numbers, seats, activeFlows, broadcastRecipientsPerMonth, retentionDays] = limits.map(value);
      return [id, { messagesPerPeriod, numbers, seats, activeFlows, broadcastRecipientsPerMonth, retentionDays } as Entitlements];
    }),
  );
}

describe('when STRIPE_SECRET_KEY is not set', () => {
  it('turns billing off (no Stripe settings), whatever else is set', () => {
    const config = loadBillingConfig({ ...BASE, STRIPE_PRICE_PRO: 'price_pro', STRIPE_WEBHOOK_SECRET: 'whsec_x' }, () => undefined);
    expect(config.stripe).toBeNull();
  });
});

describe('when no plans file is given', () => {
  it('offers free, pro and business with the defaults the README documents, every entitlement set', () => {
    const { plans } = loadBillingConfig({ ...ON, STRIPE_PRICE_PRO: 'price_pro', STRIPE_PRICE_BUSINESS: 'price_business' }, () => undefined);
    expect(plans.map((p) => [p.id, p.stripePriceId])).toEqual([
      ['free', null],
      ['pro', 'price_pro'],
      ['business', 'price_business'],
    ]);
    for (const plan of plans) expect(Object.keys(plan.entitlements).sort()).toEqual([...ENTITLEMENTS].sort());
    const documented = readmeDefaults();
    expect(Object.keys(documented)).toEqual(['free', 'pro', 'business']);
    for (const plan of plans) expect(plan.entitlements, plan.id).toEqual(documented[plan.id]);
  });

  it('warns that a paid plan without a price cannot be bought', () => {
    const warnings: string[] = [];
    loadBillingConfig({ ...ON, STRIPE_PRICE_PRO: 'price_pro' }, (w) => warnings.push(w));
    expect(warnings).toEqual([
      'billing: the plans business have no Stripe price (STRIPE_PRICE_PRO, STRIPE_PRICE_BUSINESS or BILLING_PLANS_FILE), so nobody can buy them',
    ]);
  });
});

describe('when BILLING_PLANS_FILE is given', () => {
  const free = {
    id: 'free',
    name: 'Free',
    stripePriceId: null,
    entitlements: { messagesPerPeriod: 10, numbers: 1, seats: 1, activeFlows: 1, broadcastRecipientsPerMonth: 0, retentionDays: 7 },
  };
  const team = {
    ...free,
    id: 'team',
    name: 'Team',
    stripePriceId: 'price_team',
    priceLabel: '$9',
    entitlements: { ...free.entitlements, messagesPerPeriod: null },
  };

  it('replaces the defaults with its plans (null: unlimited)', () => {
    const { plans } = loadBillingConfig(
      { ...ON, STRIPE_PRICE_PRO: 'price_pro', BILLING_PLANS_FILE: plansFile([free, team]) },
      () => undefined,
    );
    expect(plans.map((p) => p.id)).toEqual(['free', 'team']);
    expect(plans[1]!.entitlements.messagesPerPeriod).toBeNull();
    expect(plans[0]!.priceLabel).toBe('');
  });

  it('refuses a file without a free plan, with a missing entitlement, or that is not JSON, naming the file and the problem', () => {
    const noFree = plansFile([team]);
    expect(() => loadBillingConfig({ ...ON, BILLING_PLANS_FILE: noFree }, () => undefined)).toThrow(
      new ConfigError(`BILLING_PLANS_FILE ${noFree}: one plan must have the id "free": the plan of a workspace without a subscription`),
    );
    const { retentionDays: _, ...fewer } = free.entitlements;
    const missing = plansFile([{ ...free, entitlements: fewer }]);
    expect(() => loadBillingConfig({ ...ON, BILLING_PLANS_FILE: missing }, () => undefined)).toThrow(
      `BILLING_PLANS_FILE ${missing}: 0.entitlements.retentionDays:`,
    );
    const broken = plansFile('[{');
    expect(() => loadBillingConfig({ ...ON, BILLING_PLANS_FILE: broken }, () => undefined)).toThrow(ConfigError);
  });
});

describe('when STRIPE_SECRET_KEY is set', () => {
  it('requires the webhook signing secret', () => {
    expect(() => loadBillingConfig({ ...BASE, STRIPE_SECRET_KEY: 'sk_test_x' }, () => undefined)).toThrow(
      'STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY',
    );
  });

  it('keeps the keys, the tolerance and another API address', () => {
    expect(
      loadBillingConfig({ ...ON, STRIPE_WEBHOOK_TOLERANCE_S: 60, STRIPE_API_URL: 'http://127.0.0.1:12111' }, () => undefined).stripe,
    ).toEqual({
      secretKey: 'sk_test_x',
      webhookSecret: 'whsec_x',
      webhookToleranceS: 60,
      apiUrl: 'http://127.0.0.1:12111',
    });
  });
});
