import { readFileSync } from 'node:fs';
import { defaultPlans, PlansFileSchema, type Plan } from '../../engine/billing/plans.ts';
import { ConfigError } from '../config-error.ts';
import { zodIssueDetails } from '../../engine/errors/zod-issue-details.ts';

/** Billing settings, read once from the environment (see README, "Billing"). */
export interface BillingConfig {
  /** Null: billing is off (no STRIPE_SECRET_KEY): every workspace has the unlimited self-hosted plan and nothing calls Stripe. */
  stripe: StripeConfig | null;
  /** The plans offered when billing is on. */
  plans: Plan[];
}

export interface StripeConfig {
  secretKey: string;
  webhookSecret: string;
  webhookToleranceS: number;
  /** Another Stripe API address (a local fake, stripe-mock); null: Stripe's own. */
  apiUrl: string | null;
}

export interface BillingEnv {
  STRIPE_SECRET_KEY?: string | undefined;
  STRIPE_WEBHOOK_SECRET?: string | undefined;
  STRIPE_WEBHOOK_TOLERANCE_S: number;
  STRIPE_API_URL?: string | undefined;
  STRIPE_PRICE_PRO?: string | undefined;
  STRIPE_PRICE_BUSINESS?: string | undefined;
  BILLING_PLANS_FILE?: string | undefined;
}

/** Plans from BILLING_PLANS_FILE (a JSON list) or the documented defaults with the price env vars. */
export function loadBillingConfig(e: BillingEnv, warn: (msg: string) => void): BillingConfig {
  let plans: Plan[];
  if (e.BILLING_PLANS_FILE) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(e.BILLING_PLANS_FILE, 'utf8'));
    } catch (err) {
      throw new ConfigError(`BILLING_PLANS_FILE ${e.BILLING_PLANS_FILE} cannot be read as JSON: ${(err as Error).message}`);
    }
    const parsed = PlansFileSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = zodIssueDetails(parsed.error).map((d) => (d.path === '' ? d.message : `${d.path}: ${d.message}`));
      throw new ConfigError(`BILLING_PLANS_FILE ${e.BILLING_PLANS_FILE}: ${problems.join('; ')}`);
    }
    plans = parsed.data;
  } else {
    plans = defaultPlans({ pro: e.STRIPE_PRICE_PRO ?? null, business: e.STRIPE_PRICE_BUSINESS ?? null });
  }
  if (!e.STRIPE_SECRET_KEY) return { stripe: null, plans };
  if (!e.STRIPE_WEBHOOK_SECRET)
    throw new ConfigError(
      'STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY: without the webhook, payments would never change a plan',
    );
  const unpriced = plans.filter((p) => p.id !== 'free' && p.stripePriceId === null).map((p) => p.id);
  if (unpriced.length)
    warn(
      `billing: the plans ${unpriced.join(', ')} have no Stripe price (STRIPE_PRICE_PRO, STRIPE_PRICE_BUSINESS or BILLING_PLANS_FILE), so nobody can buy them`,
    );
  return {
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      webhookToleranceS: e.STRIPE_WEBHOOK_TOLERANCE_S,
      apiUrl: e.STRIPE_API_URL ?? null,
    },
    plans,
  };
}
