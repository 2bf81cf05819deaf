import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { BillingAddress } from '../../engine/ports/billing-provider.port.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** `billing_address` as updateAccount writes it: the provider's BillingAddress. */
const BillingAddressSchema = z.object({
  line1: z.string().nullable(),
  line2: z.string().nullable(),
  city: z.string().nullable(),
  postalCode: z.string().nullable(),
  state: z.string().nullable(),
  country: z.string().nullable(),
}) satisfies z.ZodType<BillingAddress>;

/** A workspace's billing record, as stored (never a card number: brand, last 4 and expiry only). */
const BillingAccountRow = z.object({
  workspaceId: z.string(),
  stripeCustomerId: z.string().nullable(),
  stripeSubscriptionId: z.string().nullable(),
  subscriptionStatus: z.string().nullable(),
  priceId: z.string().nullable(),
  currentPeriodStart: z.date().nullable(),
  currentPeriodEnd: z.date().nullable(),
  cancelAtPeriodEnd: z.boolean(),
  cardBrand: z.string().nullable(),
  cardLast4: z.string().nullable(),
  cardExpMonth: z.number().nullable(),
  cardExpYear: z.number().nullable(),
  billingAddress: BillingAddressSchema.nullable(),
  subscriptionEventAt: z.date().nullable(),
  cardEventAt: z.date().nullable(),
  addressEventAt: z.date().nullable(),
});
export type BillingAccount = z.infer<typeof BillingAccountRow>;

const COLUMNS = `workspace_id as "workspaceId", stripe_customer_id as "stripeCustomerId", stripe_subscription_id as "stripeSubscriptionId",
  subscription_status as "subscriptionStatus", price_id as "priceId", current_period_start as "currentPeriodStart", current_period_end as "currentPeriodEnd",
  cancel_at_period_end as "cancelAtPeriodEnd", card_brand as "cardBrand", card_last4 as "cardLast4", card_exp_month as "cardExpMonth", card_exp_year as "cardExpYear",
  billing_address as "billingAddress", subscription_event_at as "subscriptionEventAt", card_event_at as "cardEventAt", address_event_at as "addressEventAt"`;

/** The workspace's account, or null when it never had one. `lock`: held to the end of the transaction. */
export async function loadAccount(em: EntityManager, workspaceId: string, opts: { lock?: boolean } = {}): Promise<BillingAccount | null> {
  const { rows } = await runSql(
    em,
    `select ${COLUMNS} from billing_accounts where workspace_id = :workspaceId${opts.lock ? ' for update' : ''}`,
    { workspaceId },
    { row: BillingAccountRow },
  );
  return rows[0] ?? null;
}

/** The account of a Stripe customer (locked), or null for a customer this server did not create. */
export async function accountOfCustomer(em: EntityManager, customerId: string): Promise<BillingAccount | null> {
  const { rows } = await runSql(
    em,
    `select ${COLUMNS} from billing_accounts where stripe_customer_id = :customerId for update`,
    { customerId },
    { row: BillingAccountRow },
  );
  return rows[0] ?? null;
}

/** Creates the account row if missing and answers it locked: two checkouts at once create one customer. */
export async function lockOrCreateAccount(em: EntityManager, workspaceId: string): Promise<BillingAccount> {
  await runSql(em, `insert into billing_accounts (workspace_id) values (:workspaceId) on conflict (workspace_id) do nothing`, {
    workspaceId,
  });
  return (await loadAccount(em, workspaceId, { lock: true }))!;
}

export type AccountChange = Partial<Omit<BillingAccount, 'workspaceId'>>;

const COLUMN_OF: Record<keyof AccountChange, string> = {
  stripeCustomerId: 'stripe_customer_id',
  stripeSubscriptionId: 'stripe_subscription_id',
  subscriptionStatus: 'subscription_status',
  priceId: 'price_id',
  currentPeriodStart: 'current_period_start',
  currentPeriodEnd: 'current_period_end',
  cancelAtPeriodEnd: 'cancel_at_period_end',
  cardBrand: 'card_brand',
  cardLast4: 'card_last4',
  cardExpMonth: 'card_exp_month',
  cardExpYear: 'card_exp_year',
  billingAddress: 'billing_address',
  subscriptionEventAt: 'subscription_event_at',
  cardEventAt: 'card_event_at',
  addressEventAt: 'address_event_at',
};

/** Writes the given fields of the account (a fixed set of columns; values are bound). */
export async function updateAccount(em: EntityManager, workspaceId: string, change: AccountChange): Promise<void> {
  const entries = Object.entries(change).filter(([, v]) => v !== undefined) as [keyof AccountChange, unknown][];
  if (entries.length === 0) return;
  const bindings: Record<string, unknown> = { workspaceId };
  const sets = entries.map(([key, value]) => {
    bindings[key] = key === 'billingAddress' && value !== null ? JSON.stringify(value) : value;
    return `${COLUMN_OF[key]} = :${key}`;
  });
  await runSql(em, `update billing_accounts set ${sets.join(', ')}, updated_at = now() where workspace_id = :workspaceId`, bindings);
}
