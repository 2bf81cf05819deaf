import { z } from 'zod';
import { ENTITLEMENTS } from '../../engine/billing/plans.ts';
import type { BillingOverview } from '../../platform/billing/billing.ts';

const Limit = z.number().int().nullable();
const Entitlements = z.object(
  Object.fromEntries(ENTITLEMENTS.map((e) => [e, Limit])) as Record<(typeof ENTITLEMENTS)[number], typeof Limit>,
);
const PlanDto = z.object({ id: z.string(), name: z.string(), priceLabel: z.string(), entitlements: Entitlements });

/** Where the browser goes next: a Stripe Checkout or customer portal page. */
export const BillingRedirectDto = z.object({ url: z.string() });

export const BillingDto = z.object({
  enabled: z.boolean().describe('false: billing is off on this server; every workspace has the unlimited self-hosted plan'),
  plan: PlanDto,
  plans: z.array(PlanDto.extend({ current: z.boolean(), purchasable: z.boolean() })),
  subscription: z.object({ status: z.string(), cancelAtPeriodEnd: z.boolean() }).nullable(),
  period: z.object({ start: z.string(), end: z.string() }),
  usage: z.array(
    z.object({
      entitlement: z.string(),
      label: z.string(),
      used: z.number().int().nullable(),
      limit: Limit,
      threshold: z.union([z.literal(80), z.literal(90), z.literal(100)]).nullable(),
    }),
  ),
  alert: z
    .object({ threshold: z.union([z.literal(80), z.literal(90), z.literal(100)]), entitlement: z.string(), label: z.string() })
    .nullable(),
  card: z.object({ brand: z.string(), last4: z.string(), expMonth: z.number().int(), expYear: z.number().int() }).nullable(),
  billingAddress: z
    .object({
      line1: z.string().nullable(),
      line2: z.string().nullable(),
      city: z.string().nullable(),
      postalCode: z.string().nullable(),
      state: z.string().nullable(),
      country: z.string().nullable(),
    })
    .nullable(),
  invoices: z.array(
    z.object({
      id: z.string(),
      number: z.string().nullable(),
      status: z.string(),
      amountDue: z.number().int(),
      amountPaid: z.number().int(),
      currency: z.string(),
      hostedInvoiceUrl: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
});
export type BillingDto = z.infer<typeof BillingDto>;

export function toBillingDto(o: BillingOverview): BillingDto {
  const plan = (p: BillingOverview['plan']) => ({ id: p.id, name: p.name, priceLabel: p.priceLabel, entitlements: p.entitlements });
  return {
    enabled: o.enabled,
    plan: plan(o.plan),
    plans: o.plans.map((p) => ({ ...plan(p), current: p.current, purchasable: p.purchasable })),
    subscription: o.subscription,
    period: { start: o.period.start.toISOString(), end: o.period.end.toISOString() },
    usage: o.usage,
    alert: o.alert,
    card: o.card,
    billingAddress: o.billingAddress,
    invoices: o.invoices.map((i) => ({ ...i, createdAt: new Date(i.createdAt).toISOString() })),
  };
}
