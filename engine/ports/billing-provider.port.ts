import type { SubscriptionStatus } from '../billing/subscription-plan.ts';

/** What is kept of a card: never its number or security code. */
export interface CardSummary {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface BillingAddress {
  line1: string | null;
  line2: string | null;
  city: string | null;
  postalCode: string | null;
  state: string | null;
  country: string | null;
}

/** A subscription as the payment provider holds it now. */
export interface ProviderSubscription {
  id: string;
  customerId: string;
  status: SubscriptionStatus;
  priceId: string | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** The card paying for it (its default payment method), when it has one. */
  card: CardSummary | null;
}

export interface ProviderCustomer {
  id: string;
  deleted: boolean;
  address: BillingAddress | null;
  /** The customer's default card for invoices, when set. */
  card: CardSummary | null;
}

export interface ProviderInvoice {
  id: string;
  customerId: string;
  subscriptionId: string | null;
  number: string | null;
  status: string;
  amountDue: number;
  amountPaid: number;
  currency: string;
  hostedInvoiceUrl: string | null;
  createdAt: Date;
}

/**
 * A verified provider event, reduced to what billing uses (no raw payload is kept). `created` is
 * the provider's time of the event, used to ignore an older event that arrives after a newer one.
 */
export type BillingEvent = { id: string; created: Date; customerId: string | null } & (
  | { type: 'checkout.session.completed'; subscriptionId: string | null; workspaceId: string | null }
  | { type: 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted'; subscriptionId: string }
  | { type: 'customer.subscription.trial_will_end'; subscriptionId: string; trialEnd: Date | null }
  | { type: 'invoice.paid' | 'invoice.payment_failed' | 'invoice.payment_action_required'; invoice: ProviderInvoice }
  | { type: 'payment_method.attached'; card: CardSummary | null }
  | { type: 'customer.updated' }
  | { type: 'unhandled'; providerType: string }
);
export type BillingEventType = BillingEvent['type'];

/** The payment provider (Stripe); billing talks to it only through this port. */
export interface BillingProvider {
  /** Creates the workspace's customer; the same idempotency key answers the same customer. */
  createCustomer(input: { workspaceId: string; name: string; email: string | null; idempotencyKey: string }): Promise<{ id: string }>;
  /** A hosted Checkout page that subscribes the customer to the price. */
  createCheckoutSession(input: {
    customerId: string;
    priceId: string;
    workspaceId: string;
    successUrl: string;
    cancelUrl: string;
  }): Promise<{ url: string }>;
  /** A hosted portal page where the customer manages their card, plan and invoices. */
  createPortalSession(input: { customerId: string; returnUrl: string }): Promise<{ url: string }>;
  retrieveSubscription(id: string): Promise<ProviderSubscription>;
  retrieveCustomer(id: string): Promise<ProviderCustomer>;
  /**
   * Checks the signature of a webhook (the exact bytes received) and its age, and answers the
   * event; throws WebhookRejectedError when either is wrong.
   */
  verifyEvent(rawBody: Buffer, signatureHeader: string | undefined): BillingEvent;
}
