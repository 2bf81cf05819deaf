import { z } from 'zod';
import { UserSchema } from '../../platform/db/entities/user.entity.ts';
import { BillingDto, BillingRedirectDto, toBillingDto } from '../dto/billing.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

export const billingRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/billing',
    summary:
      "The workspace's plan, subscription status, current period, usage against each entitlement, card (brand, last 4, expiry), billing address and recent invoices",
    tag: 'billing',
    auth: 'billing.manage',
    response: BillingDto,
    async handler({ deps, em, auth }) {
      return toBillingDto(await deps.billing.overview(em, auth.workspaceId));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/billing/checkout',
    summary: 'A Stripe Checkout page that subscribes the workspace to a plan; open its URL. 409 billing_disabled when billing is off',
    tag: 'billing',
    auth: 'billing.manage',
    body: z.strictObject({ plan: z.string().min(1).max(40) }),
    response: BillingRedirectDto,
    exampleBody: { plan: 'pro' },
    async handler({ deps, em, auth, body }) {
      const user = auth.userId ? await em.findOne(UserSchema, { id: auth.userId }, { fields: ['email'] }) : null;
      return deps.billing.checkout(em, {
        workspaceId: auth.workspaceId,
        planId: body.plan,
        actor: actorOf(auth),
        email: user?.email ?? null,
      });
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/billing/portal',
    summary:
      "Stripe's Customer Portal for the workspace (card, plan, invoices, cancel); open its URL. 409 billing_disabled when billing is off",
    tag: 'billing',
    auth: 'billing.manage',
    response: BillingRedirectDto,
    async handler({ deps, em, auth }) {
      return deps.billing.portal(em, auth.workspaceId);
    },
  }),
];
