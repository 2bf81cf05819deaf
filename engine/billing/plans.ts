import { z } from 'zod';

/** What a plan allows; `null` means unlimited. */
export const ENTITLEMENTS = [
  'messagesPerPeriod',
  'numbers',
  'seats',
  'activeFlows',
  'broadcastRecipientsPerMonth',
  'retentionDays',
] as const;
export type Entitlement = (typeof ENTITLEMENTS)[number];
export type Entitlements = Record<Entitlement, number | null>;

/** Words for the person on the billing page and in errors. */
export const ENTITLEMENT_LABELS: Record<Entitlement, string> = {
  messagesPerPeriod: 'automated messages per billing period',
  numbers: 'connected WhatsApp numbers',
  seats: 'seats (members and pending invitations)',
  activeFlows: 'active flows',
  broadcastRecipientsPerMonth: 'broadcast recipients per billing period',
  retentionDays: 'days of message history kept',
};

/** The plan of a workspace with no subscription (and after a subscription is deleted). */
export const FREE_PLAN_ID = 'free';

const Limit = z.number().int().min(0).nullable();

export const PlanSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'a plan id is lower-case letters, digits, - and _'),
  name: z.string().min(1).max(60),
  /** The Stripe price (recurring) a Checkout for this plan subscribes to; null for a plan nobody buys (free). */
  stripePriceId: z
    .string()
    .regex(/^price_\w+$/)
    .nullable(),
  /** What the plan card shows as its price ("$49 / month"); the price itself lives in Stripe. */
  priceLabel: z.string().max(60).default(''),
  entitlements: z.strictObject({
    messagesPerPeriod: Limit,
    numbers: Limit,
    seats: Limit,
    activeFlows: Limit,
    broadcastRecipientsPerMonth: Limit,
    retentionDays: Limit,
  }),
});
export type Plan = z.infer<typeof PlanSchema>;

/** The plans file (`BILLING_PLANS_FILE`): a list of plans, one of them `free` (the plan without a subscription). */
export const PlansFileSchema = z
  .array(PlanSchema)
  .min(1)
  .refine((plans) => plans.some((p) => p.id === FREE_PLAN_ID), {
    message: `one plan must have the id "${FREE_PLAN_ID}": the plan of a workspace without a subscription`,
  })
  .refine((plans) => new Set(plans.map((p) => p.id)).size === plans.length, { message: 'plan ids must be unique' })
  .refine(
    (plans) => {
      const prices = plans.flatMap((p) => (p.stripePriceId ? [p.stripePriceId] : []));
      return new Set(prices).size === prices.length;
    },
    { message: 'a Stripe price belongs to one plan only' },
  );

/** Billing off (no STRIPE_SECRET_KEY): every workspace has this plan, with no limit. */
export const SELF_HOSTED_PLAN: Plan = {
  id: 'self_hosted',
  name: 'Self-hosted',
  stripePriceId: null,
  priceLabel: '',
  entitlements: {
    messagesPerPeriod: null,
    numbers: null,
    seats: null,
    activeFlows: null,
    broadcastRecipientsPerMonth: null,
    retentionDays: null,
  },
};

/** The documented defaults; `STRIPE_PRICE_PRO` and `STRIPE_PRICE_BUSINESS` give the paid ones their prices. */
export function defaultPlans(prices: { pro: string | null; business: string | null }): Plan[] {
  return [
    {
      id: 'free',
      name: 'Free',
      stripePriceId: null,
      priceLabel: '$0',
      entitlements: { messagesPerPeriod: 1_000, numbers: 1, seats: 3, activeFlows: 3, broadcastRecipientsPerMonth: 500, retentionDays: 30 },
    },
    {
      id: 'pro',
      name: 'Pro',
      stripePriceId: prices.pro,
      priceLabel: '$49 / month',
      entitlements: {
        messagesPerPeriod: 50_000,
        numbers: 5,
        seats: 10,
        activeFlows: 50,
        broadcastRecipientsPerMonth: 25_000,
        retentionDays: 365,
      },
    },
    {
      id: 'business',
      name: 'Business',
      stripePriceId: prices.business,
      priceLabel: '$199 / month',
      entitlements: {
        messagesPerPeriod: 500_000,
        numbers: 25,
        seats: 50,
        activeFlows: null,
        broadcastRecipientsPerMonth: 250_000,
        retentionDays: 730,
      },
    },
  ];
}

/** The plans a server offers, looked up by id and by Stripe price. */
export class PlanCatalog {
  private readonly byId: Map<string, Plan>;
  private readonly byPrice: Map<string, Plan>;

  constructor(readonly plans: readonly Plan[]) {
    this.byId = new Map(plans.map((p) => [p.id, p]));
    this.byPrice = new Map(plans.flatMap((p) => (p.stripePriceId ? [[p.stripePriceId, p] as const] : [])));
  }

  /** The plan with this id; an id no longer offered (a plans file changed) reads as free. */
  plan(id: string): Plan {
    return this.byId.get(id) ?? this.byId.get(FREE_PLAN_ID)!;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The plan a Stripe price subscribes to; undefined for a price this server does not know. */
  planForPrice(priceId: string): Plan | undefined {
    return this.byPrice.get(priceId);
  }
}
