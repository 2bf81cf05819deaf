import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITLEMENTS } from '../engine/billing/plans.ts';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { FakeStripe, PRICE_BUSINESS, PRICE_PRO, signedEvent } from './support/fake-stripe.ts';

/*
 * A self-hoster who bills nobody: everything Stripe needs is set except STRIPE_SECRET_KEY (the
 * API address points at a local fake that records every request), so billing is off.
 */
const fake = new FakeStripe();
let api: TestApi;
let owner: ApiClient;

beforeAll(async () => {
  await fake.start();
  api = await startTestApi({ STRIPE_API_URL: fake.url, STRIPE_PRICE_PRO: PRICE_PRO, STRIPE_PRICE_BUSINESS: PRICE_BUSINESS });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'selfhost@example.com',
    password: 'password-selfhost',
    name: 'Self',
    workspaceName: 'Self-hosted',
  });
  owner = api.client.as(signup.body.token);
});

afterAll(async () => {
  await api?.close();
  await fake.stop();
});

describe('when STRIPE_SECRET_KEY is not set', () => {
  it('gives the workspace the unlimited self-hosted plan and offers no plan to buy', async () => {
    const res = await owner.get('/api/v1/billing');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ enabled: false, plan: { id: 'self_hosted' }, plans: [], alert: null, card: null, invoices: [] });
    expect(Object.keys(res.body.plan.entitlements).sort()).toEqual([...ENTITLEMENTS].sort());
    expect(Object.values(res.body.plan.entitlements).every((limit) => limit === null)).toBe(true);
    expect(res.body.usage.every((line: { limit: number | null }) => line.limit === null)).toBe(true);
  });

  it('answers checkout and portal with 409 billing_disabled', async () => {
    for (const path of ['/api/v1/billing/checkout', '/api/v1/billing/portal']) {
      const res = await owner.post(path, { plan: 'pro' });
      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({
        code: 'billing_disabled',
        message: 'billing is not enabled on this server: every workspace has the unlimited self-hosted plan',
      });
    }
  });

  it('does not serve the Stripe webhook, even a correctly signed one', async () => {
    const { body, signature } = signedEvent({ id: 'evt_Fkoff', type: 'invoice.paid', created: Math.floor(Date.now() / 1000), object: {} });
    const res = await api.client.request('post', '/hooks/stripe', undefined, {
      rawBody: body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    });
    expect(res.status).toBe(404);
    const { rows } = await testSql<{ n: number }>(api.env.orm.em.fork(), `select count(*)::int as n from billing_events`);
    expect(rows[0]!.n).toBe(0);
  });

  it('limits nothing: numbers, seats and message history beyond what the free plan allows', async () => {
    for (const name of ['Sales', 'Support']) expect((await owner.post('/api/v1/channels', { kind: 'whatsapp', name })).status).toBe(201);
    for (const n of [1, 2, 3, 4])
      expect((await owner.post('/api/v1/invitations', { email: `m${n}@example.com`, role: 'agent' })).status).toBe(201);
    expect((await owner.put('/api/v1/retention/policy', { policy: { message_content: null } })).status).toBe(200);
  });

  it('never called Stripe', () => {
    expect(fake.requests).toEqual([]);
  });
});
