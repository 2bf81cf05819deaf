import Stripe from 'stripe';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../../engine/billing/subscription-plan.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import { WebhookRejectedError } from '../../engine/errors/webhook-rejected.error.ts';
import type {
  BillingAddress,
  BillingEvent,
  BillingProvider,
  CardSummary,
  ProviderCustomer,
  ProviderInvoice,
  ProviderSubscription,
} from '../../engine/ports/billing-provider.port.ts';

export interface StripeGatewayOptions {
  secretKey: string;
  webhookSecret: string;
  /** How old a webhook's signed timestamp may be, in seconds (Stripe's own default is 300). */
  webhookToleranceS: number;
  /** Another API address (a local fake in tests, stripe-mock); Stripe's own when null. */
  apiUrl: string | null;
  /** Per request, in milliseconds. */
  timeoutMs?: number;
}

const STRIPE_TIMEOUT_MS = 15_000;

/** The one Stripe adapter: the SDK's objects become the port's types here and nowhere else. */
export class StripeGateway implements BillingProvider {
  private readonly stripe: Stripe;

  constructor(private readonly opts: StripeGatewayOptions) {
    const api = opts.apiUrl ? new URL(opts.apiUrl) : null;
    this.stripe = new Stripe(opts.secretKey, {
      maxNetworkRetries: 2,
      timeout: opts.timeoutMs ?? STRIPE_TIMEOUT_MS,
      telemetry: false,
      ...(api
        ? {
            host: api.hostname,
            port: api.port || (api.protocol === 'https:' ? 443 : 80),
            protocol: api.protocol === 'https:' ? 'https' : 'http',
          }
        : {}),
    });
  }

  async createCustomer(input: {
    workspaceId: string;
    name: string;
    email: string | null;
    idempotencyKey: string;
  }): Promise<{ id: string }> {
    const customer = await this.stripe.customers.create(
      { name: input.name, ...(input.email ? { email: input.email } : {}), metadata: { workspaceId: input.workspaceId } },
      { idempotencyKey: input.idempotencyKey },
    );
    return { id: customer.id };
  }

  async createCheckoutSession(input: {
    customerId: string;
    priceId: string;
    workspaceId: string;
    successUrl: string;
    cancelUrl: string;
  }): Promise<{ url: string }> {
    const session = await this.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: input.customerId,
      client_reference_id: input.workspaceId,
      line_items: [{ price: input.priceId, quantity: 1 }],
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      metadata: { workspaceId: input.workspaceId },
      subscription_data: { metadata: { workspaceId: input.workspaceId } },
      customer_update: { address: 'auto' },
      billing_address_collection: 'required',
    });
    // A hosted-mode session always has one (Stripe's API reference); without it there is no page to send the person to.
    if (!session.url) throw new InvariantError(`Stripe answered checkout session ${session.id} without a URL`, { sessionId: session.id });
    return { url: session.url };
  }

  async createPortalSession(input: { customerId: string; returnUrl: string }): Promise<{ url: string }> {
    const session = await this.stripe.billingPortal.sessions.create({ customer: input.customerId, return_url: input.returnUrl });
    return { url: session.url };
  }

  async retrieveSubscription(id: string): Promise<ProviderSubscription> {
    const sub = await this.stripe.subscriptions.retrieve(id, { expand: ['default_payment_method'] });
    return toSubscription(sub);
  }

  async retrieveCustomer(id: string): Promise<ProviderCustomer> {
    const customer = await this.stripe.customers.retrieve(id, { expand: ['invoice_settings.default_payment_method'] });
    if (customer.deleted) return { id: customer.id, deleted: true, address: null, card: null };
    const pm = customer.invoice_settings?.default_payment_method;
    return {
      id: customer.id,
      deleted: false,
      address: toAddress(customer.address ?? null),
      card: typeof pm === 'object' && pm !== null ? toCard(pm) : null,
    };
  }

  verifyEvent(rawBody: Buffer, signatureHeader: string | undefined): BillingEvent {
    if (!signatureHeader) throw new WebhookRejectedError('the Stripe-Signature header is missing');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signatureHeader, this.opts.webhookSecret, this.opts.webhookToleranceS);
    } catch (err) {
      // The SDK's message says which: no matching signature, or a timestamp outside the tolerance.
      throw new WebhookRejectedError(`the webhook was refused: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    return toEvent(event);
  }
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

function toStatus(status: string): SubscriptionStatus {
  return (SUBSCRIPTION_STATUSES as readonly string[]).includes(status) ? (status as SubscriptionStatus) : 'incomplete';
}

function seconds(value: number | null | undefined): Date | null {
  return typeof value === 'number' ? new Date(value * 1000) : null;
}

/** Only brand, last 4 digits and expiry leave this function: the port has no field for more. */
function toCard(pm: Stripe.PaymentMethod): CardSummary | null {
  if (!pm.card) return null;
  return { brand: pm.card.brand, last4: pm.card.last4, expMonth: pm.card.exp_month, expYear: pm.card.exp_year };
}

function toAddress(address: Stripe.Address | null): BillingAddress | null {
  if (!address) return null;
  return {
    line1: address.line1 ?? null,
    line2: address.line2 ?? null,
    city: address.city ?? null,
    postalCode: address.postal_code ?? null,
    state: address.state ?? null,
    country: address.country ?? null,
  };
}

function toSubscription(sub: Stripe.Subscription): ProviderSubscription {
  const item = sub.items?.data?.[0];
  // Periods moved from the subscription to its items in Stripe's 2025 API versions; older payloads have them on the subscription.
  const legacy = sub as unknown as { current_period_start?: number; current_period_end?: number };
  const pm = sub.default_payment_method;
  return {
    id: sub.id,
    customerId: idOf(sub.customer) ?? '',
    status: toStatus(sub.status),
    priceId: item?.price?.id ?? null,
    currentPeriodStart: seconds(item?.current_period_start ?? legacy.current_period_start),
    currentPeriodEnd: seconds(item?.current_period_end ?? legacy.current_period_end),
    cancelAtPeriodEnd: sub.cancel_at_period_end ?? false,
    card: typeof pm === 'object' && pm !== null ? toCard(pm) : null,
  };
}

function toInvoice(invoice: Stripe.Invoice): ProviderInvoice {
  const legacy = invoice as unknown as { subscription?: string | { id: string } | null };
  const parent = (invoice as unknown as { parent?: { subscription_details?: { subscription?: string | { id: string } } | null } | null })
    .parent;
  return {
    id: invoice.id ?? '',
    customerId: idOf(invoice.customer) ?? '',
    subscriptionId: idOf(parent?.subscription_details?.subscription ?? legacy.subscription ?? null),
    number: invoice.number ?? null,
    status: invoice.status ?? 'open',
    amountDue: invoice.amount_due ?? 0,
    amountPaid: invoice.amount_paid ?? 0,
    currency: invoice.currency ?? 'usd',
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    createdAt: seconds(invoice.created) ?? new Date(0),
  };
}

/** The event reduced to the port's shape; types billing does not use become `unhandled`. */
function toEvent(event: Stripe.Event): BillingEvent {
  const base = { id: event.id, created: new Date(event.created * 1000) };
  switch (event.type) {
    case 'checkout.session.completed': {
      const s = event.data.object;
      return {
        ...base,
        type: event.type,
        customerId: idOf(s.customer),
        subscriptionId: idOf(s.subscription),
        workspaceId: s.client_reference_id ?? s.metadata?.workspaceId ?? null,
      };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const s = event.data.object;
      return { ...base, type: event.type, customerId: idOf(s.customer), subscriptionId: s.id };
    }
    case 'customer.subscription.trial_will_end': {
      const s = event.data.object;
      return { ...base, type: event.type, customerId: idOf(s.customer), subscriptionId: s.id, trialEnd: seconds(s.trial_end) };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed':
    case 'invoice.payment_action_required': {
      const invoice = toInvoice(event.data.object);
      return { ...base, type: event.type, customerId: invoice.customerId, invoice };
    }
    case 'payment_method.attached': {
      const pm = event.data.object;
      return { ...base, type: event.type, customerId: idOf(pm.customer), card: toCard(pm) };
    }
    case 'customer.updated':
      return { ...base, type: event.type, customerId: event.data.object.id };
    default:
      return { ...base, type: 'unhandled', customerId: null, providerType: event.type };
  }
}
