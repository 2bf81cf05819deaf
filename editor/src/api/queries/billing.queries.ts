import { useQuery } from '@tanstack/react-query';
import { can, type Role } from '../../../../engine/tenancy/role.ts';
import { useSession } from '../../session/session-context.tsx';
import { useApiMutation } from '../use-api-mutation.ts';
import { useMe } from './session.queries.ts';

export type UsageThreshold = 80 | 90 | 100;

export interface PlanInfo {
  id: string;
  name: string;
  priceLabel: string;
  entitlements: Record<string, number | null>;
}

/** GET /api/v1/billing (api/dto/billing.dto.ts). */
export interface BillingInfo {
  enabled: boolean;
  plan: PlanInfo;
  plans: (PlanInfo & { current: boolean; purchasable: boolean })[];
  subscription: { status: string; cancelAtPeriodEnd: boolean } | null;
  period: { start: string; end: string };
  usage: { entitlement: string; label: string; used: number | null; limit: number | null; threshold: UsageThreshold | null }[];
  alert: { threshold: UsageThreshold; entitlement: string; label: string } | null;
  card: { brand: string; last4: string; expMonth: number; expYear: number } | null;
  billingAddress: { line1: string | null; line2: string | null; city: string | null; postalCode: string | null; state: string | null; country: string | null } | null;
  invoices: { id: string; number: string | null; status: string; amountDue: number; amountPaid: number; currency: string; hostedInvoiceUrl: string | null; createdAt: string }[];
}

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
  return useQuery({ queryKey: billingKey, queryFn: ({ signal }) => api.get<BillingInfo>('/billing', signal), enabled, refetchInterval: BILLING_REFRESH_MS });
}

/** Opens Stripe Checkout for a plan (the browser leaves for Stripe's page). */
export function useCheckout() {
  return useApiMutation((api, plan: string) => api.post<{ url: string }>('/billing/checkout', { plan }), { onSuccess: ({ url }) => window.location.assign(url) });
}

/** Opens Stripe's Customer Portal (card, plan, invoices, cancel). */
export function usePortal() {
  return useApiMutation((api) => api.post<{ url: string }>('/billing/portal'), { onSuccess: ({ url }) => window.location.assign(url) });
}
