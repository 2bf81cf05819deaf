import { FREE_PLAN_ID, type PlanCatalog } from './plans.ts';

/** Stripe's subscription statuses. */
export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * Statuses that keep the plan paid for. `past_due` is among them: Stripe retries the payment for
 * a while (its "smart retries" window) and the customer may fix their card; when it gives up it
 * deletes (or marks unpaid) the subscription, and only then does the workspace move to free.
 */
const KEEPS_PLAN: ReadonlySet<SubscriptionStatus> = new Set(['active', 'trialing', 'past_due']);
/** Statuses after which the subscription no longer pays for anything. */
const ENDS_PLAN: ReadonlySet<SubscriptionStatus> = new Set(['canceled', 'incomplete_expired', 'unpaid', 'paused']);

/**
 * The plan a workspace has given its subscription's status and price. `incomplete` (the first
 * payment is still being confirmed) keeps whatever plan it had; a price this server does not know
 * keeps the current plan too, and is reported by the caller.
 */
export function planForSubscription(
  sub: { status: SubscriptionStatus; priceId: string | null },
  catalog: PlanCatalog,
  currentPlanId: string,
): { planId: string; unknownPrice: boolean } {
  if (ENDS_PLAN.has(sub.status)) return { planId: FREE_PLAN_ID, unknownPrice: false };
  if (!KEEPS_PLAN.has(sub.status)) return { planId: currentPlanId, unknownPrice: false };
  const plan = sub.priceId === null ? undefined : catalog.planForPrice(sub.priceId);
  if (!plan) return { planId: currentPlanId, unknownPrice: true };
  return { planId: plan.id, unknownPrice: false };
}
