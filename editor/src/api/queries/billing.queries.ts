import { useQuery } from '@tanstack/react-query';
import type { BillingDto } from '../../../../api/dto/billing.dto.ts';
import type { BillingRedirect } from '../api-types.ts';
import { can, type Role } from '../../../../engine/tenancy/role.ts';
import { useSession } from '../../session/session-context.tsx';
import { useApiMutation } from '../use-api-mutation.ts';
import { useMe } from './session.queries.ts';

/** GET /api/v1/billing, inferred from its zod schema (api/dto/billing.dto.ts). */
export type BillingInfo = BillingDto;
export type PlanInfo = BillingInfo['plan'];
export type UsageThreshold = NonNullable<BillingInfo['alert']>['threshold'];

export const billingKey = ['billing'] as const;
/** Usage moves with every message sent: the banner and the page look again this often. */
const BILLING_REFRESH_MS = 60_000;

/** True when the caller may see billing (owners: `billing.manage`). */
export function useCanManageBilling(): boolean {
  const me = useMe().data;
  return me ? can(me.role as Role, 'billing.manage') : false;
}

/** The plan, usage, card and invoices of the workspace; only asked for by owners. */
export function useBilling() {
  const { api } = useSession();
  const enabled = useCanManageBilling();
  return useQuery({
    queryKey: billingKey,
    queryFn: ({ signal }) => api.get<BillingInfo>('/billing', signal),
    enabled,
    refetchInterval: BILLING_REFRESH_MS,
  });
}

/** Opens Stripe Checkout for a plan (the browser leaves for Stripe's page). */
export function useCheckout() {
  return useApiMutation((api, plan: string) => api.post<BillingRedirect>('/billing/checkout', { plan }), {
    onSuccess: ({ url }) => window.location.assign(url),
  });
}

/** Opens Stripe's Customer Portal (card, plan, invoices, cancel). */
export function usePortal() {
  return useApiMutation((api) => api.post<BillingRedirect>('/billing/portal'), { onSuccess: ({ url }) => window.location.assign(url) });
}
