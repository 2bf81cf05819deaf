import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/** Test-mode values the product is configured with when it talks to the fake. */
export const FAKE_STRIPE_KEY = 'sk_test_fakestripe';
export const FAKE_WEBHOOK_SECRET = 'whsec_fakestripesecret';
export const PRICE_PRO = 'price_pro_test';
export const PRICE_BUSINESS = 'price_business_test';

export interface FakeCard {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
}

export interface FakeSubscription {
  id: string;
  customer: string;
  status: string;
  price: string;
  current_period_start: number;
  current_period_end: number;
  cancel_at_period_end?: boolean;
  card?: FakeCard;
}

export interface FakeCustomer {
  id: string;
  name: string;
  metadata: Record<string, string>;
  address: Record<string, string | null> | null;
  card: FakeCard | null;
}

interface RecordedRequest {
  method: string;
  path: string;
  params: URLSearchParams;
  idempotencyKey: string | undefined;
}

/**
 * A small stand-in for Stripe's API, on 127.0.0.1 and a free port, for the SDK's outgoing calls
 * (the product is pointed at it with STRIPE_API_URL, i.e. the SDK's host, port and protocol
 * options): customers, Checkout and portal sessions, subscriptions. Tests set the state Stripe
 * "holds" (a subscription's status, a customer's address) and sign webhooks with the SDK's own
 * generateTestHeaderString. Nothing here reaches the internet.
 */
export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  readonly customers = new Map<string, FakeCustomer>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  private readonly idempotent = new Map<string, unknown>();
  private server: Server | null = null;
  private seq = 0;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++this.seq}` });
          res.end(JSON.stringify(body));
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'api_error', message: String(err) } }));
        },
      );
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  /** Ids in Stripe's shape; digits kept short so that no id looks like a card number. */
  nextId(prefix: string): string {
    return `${prefix}_Fk${(++this.seq).toString(36)}x`;
  }

  /** The customer's subscription state, as a webhook's processing will read it back. */
  setSubscription(sub: FakeSubscription): void {
    this.subscriptions.set(sub.id, sub);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, params, idempotencyKey });
    if (req.headers.authorization !== `Bearer ${FAKE_STRIPE_KEY}`)
      return { status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } } };
    const key = idempotencyKey ? `${req.method} ${url.pathname} ${idempotencyKey}` : null;
    if (key && this.idempotent.has(key)) return { status: 200, body: this.idempotent.get(key) };
    const answer = this.route(req.method ?? 'GET', url.pathname, params);
    if (key && answer.status === 200) this.idempotent.set(key, answer.body);
    return answer;
  }

  private route(method: string, path: string, params: URLSearchParams): { status: number; body: unknown } {
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/v1/customers') {
      const id = this.nextId('cus');
      const customer: FakeCustomer = {
        id,
        name: params.get('name') ?? '',
        metadata: { workspaceId: params.get('metadata[workspaceId]') ?? '' },
        address: null,
        card: null,
      };
      this.customers.set(id, customer);
      return { status: 200, body: this.customerObject(customer) };
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/customers\/(\w+)$/))) {
      const customer = this.customers.get(m[1]!);
      return customer ? { status: 200, body: this.customerObject(customer) } : notFound('customer');
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (!this.customers.has(params.get('customer') ?? '')) return notFound('customer');
      const id = this.nextId('cs_test');
      return {
        status: 200,
        body: {
          id,
          object: 'checkout.session',
          mode: params.get('mode'),
          customer: params.get('customer'),
          url: `https://checkout.stripe.test/c/pay/${id}`,
        },
      };
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!this.customers.has(params.get('customer') ?? '')) return notFound('customer');
      const id = this.nextId('bps');
      return {
        status: 200,
        body: {
          id,
          object: 'billing_portal.session',
          customer: params.get('customer'),
          url: `https://billing.stripe.test/p/session/${id}`,
          return_url: params.get('return_url'),
        },
      };
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/subscriptions\/(\w+)$/))) {
      const sub = this.subscriptions.get(m[1]!);
      return sub ? { status: 200, body: subscriptionObject(sub) } : notFound('subscription');
    }
    return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path})` } } };
  }

  private customerObject(c: FakeCustomer): unknown {
    return {
      id: c.id,
      object: 'customer',
      name: c.name,
      metadata: c.metadata,
      address: c.address,
      invoice_settings: { default_payment_method: c.card ? paymentMethodObject(c.id, c.card) : null },
    };
  }
}

function notFound(what: string): { status: number; body: unknown } {
  return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` } } };
}

/**
 * A payment method as Stripe would show it, plus fields Stripe never sends (a full card number
 * in `number` and in metadata): the product must keep none of them.
 */
export function paymentMethodObject(customer: string, card: FakeCard): Record<string, unknown> {
  return {
    id: `pm_${card.last4}card`,
    object: 'payment_method',
    type: 'card',
    customer,
    card: { ...card, number: '4242424242424242', cvc: '123', fingerprint: 'Xt5EWLLDS7FJjR1c', funding: 'credit', country: 'US' },
    metadata: { note: 'card 4000 0566 5566 5556 on file' },
    billing_details: {
      name: 'Payer',
      address: { line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'US', line2: null, state: null },
    },
  };
}

export function subscriptionObject(sub: FakeSubscription): Record<string, unknown> {
  return {
    id: sub.id,
    object: 'subscription',
    customer: sub.customer,
    status: sub.status,
    cancel_at_period_end: sub.cancel_at_period_end ?? false,
    default_payment_method: sub.card ? paymentMethodObject(sub.customer, sub.card) : null,
    items: {
      object: 'list',
      data: [
        {
          id: `si_${sub.id}`,
          object: 'subscription_item',
          price: { id: sub.price, object: 'price' },
          current_period_start: sub.current_period_start,
          current_period_end: sub.current_period_end,
        },
      ],
    },
    metadata: {},
  };
}

/**
 * A webhook delivery: the JSON body and its Stripe-Signature header, signed with the SDK's test
 * helper. `pretty`: indented, as Stripe sends its bodies (a server that parsed and re-serialised
 * the JSON before checking the signature would refuse it).
 */
export function signedEvent(
  event: { id: string; type: string; created: number; object: Record<string, unknown> },
  opts: { secret?: string; timestamp?: number; pretty?: boolean } = {},
): { body: string; signature: string } {
  const envelope = {
    id: event.id,
    object: 'event',
    api_version: '2025-11-17.clover',
    created: event.created,
    type: event.type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: event.object },
  };
  const body = opts.pretty ? JSON.stringify(envelope, null, 2) : JSON.stringify(envelope);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: opts.secret ?? FAKE_WEBHOOK_SECRET,
    ...(opts.timestamp === undefined ? {} : { timestamp: opts.timestamp }),
  });
  return { body, signature };
}

/** The environment that turns billing on against the fake. */
export function billingEnv(fake: FakeStripe, extra: Record<string, string> = {}): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: FAKE_STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: FAKE_WEBHOOK_SECRET,
    STRIPE_API_URL: fake.url,
    STRIPE_PRICE_PRO: PRICE_PRO,
    STRIPE_PRICE_BUSINESS: PRICE_BUSINESS,
    ...extra,
  };
}
