import { describe, expect, it } from 'vitest';
import { defaultPlans, PlanCatalog } from './plans.ts';
import { planForSubscription } from './subscription-plan.ts';

const catalog = new PlanCatalog(defaultPlans({ pro: 'price_pro', business: 'price_business' }));

describe('planForSubscription', () => {
  it("gives the price's plan while the subscription is active or trialing", () => {
    expect(planForSubscription({ status: 'active', priceId: 'price_business' }, catalog, 'free').planId).toBe('business');
    expect(planForSubscription({ status: 'trialing', priceId: 'price_pro' }, catalog, 'free').planId).toBe('pro');
  });

  it('keeps the plan while a payment is past due (Stripe is still retrying)', () => {
    expect(planForSubscription({ status: 'past_due', priceId: 'price_pro' }, catalog, 'pro').planId).toBe('pro');
  });

  it('moves to free when the subscription ends', () => {
    for (const status of ['canceled', 'unpaid', 'incomplete_expired', 'paused'] as const)
      expect(planForSubscription({ status, priceId: 'price_pro' }, catalog, 'pro').planId).toBe('free');
  });

  it('keeps the current plan for an incomplete first payment and for an unknown price', () => {
    expect(planForSubscription({ status: 'incomplete', priceId: 'price_pro' }, catalog, 'free').planId).toBe('free');
    expect(planForSubscription({ status: 'active', priceId: 'price_other' }, catalog, 'pro')).toEqual({
      planId: 'pro',
      unknownPrice: true,
    });
  });
});
