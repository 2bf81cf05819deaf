import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { waitForBroadcastState } from './support/broadcast-state.ts';
import { billingEnv, FakeStripe, PRICE_PRO, signedEvent } from './support/fake-stripe.ts';

/** Small limits so that each one is reached in a few steps. */
const PLANS = [
  {
    id: 'free',
    name: 'Free',
    stripePriceId: null,
    priceLabel: '$0',
    entitlements: { messagesPerPeriod: 3, numbers: 1, seats: 2, activeFlows: 1, broadcastRecipientsPerMonth: 100, retentionDays: 30 },
  },
  {
    id: 'pro',
    name: 'Pro',
    stripePriceId: PRICE_PRO,
    priceLabel: '$49',
    entitlements: {
      messagesPerPeriod: 1000,
      numbers: 5,
      seats: 10,
      activeFlows: 10,
      broadcastRecipientsPerMonth: 1000,
      retentionDays: 365,
    },
  },
];
/** A flow that can be published: one keyword trigger (a new flow's draft starts empty). */
const HI_FLOW = {
  schemaVersion: 1,
  nodes: [
    {
      id: 'trigger',
      type: 'message_received',
      config: {
        channels: 'all',
        match: { kind: 'keyword', mode: 'exact', keywords: ['hi'], caseInsensitive: true },
        firstMessageOnly: false,
      },
      position: { x: 0, y: 0 },
    },
  ],
  edges: [],
};
const PHONES = ['+15550100001', '+15550100002', '+15550100003', '+15550100004', '+15550100005'];

const fake = new FakeStripe();
let api: TestApi;
let owner: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  await fake.start();
  const dir = mkdtempSync(join(tmpdir(), 'om-plans-'));
  writeFileSync(join(dir, 'plans.json'), JSON.stringify(PLANS));
  api = await startTestApi(billingEnv(fake, { BILLING_PLANS_FILE: join(dir, 'plans.json') }));
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'limits@example.com',
    password: 'password-limits',
    name: 'Lim',
    workspaceName: 'Limits',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
});

afterAll(async () => {
  await api?.close();
  await fake.stop();
});

describe('when an addition would go over the plan', () => {
  it('refuses a second WhatsApp number, naming the plan and its limit', async () => {
    expect((await owner.post('/api/v1/channels', { kind: 'whatsapp', name: 'Sales' })).status).toBe(201);
    const second = await owner.post('/api/v1/channels', { kind: 'whatsapp', name: 'Support' });
    expect(second.status).toBe(402);
    expect(second.body.error).toEqual({
      code: 'plan_limit_reached',
      message:
        "your Free plan's limit of connected WhatsApp numbers is 1 and this workspace has 1; remove one or upgrade the plan in Billing",
      details: { entitlement: 'numbers', plan: 'Free', limit: 1, used: 1 },
    });
    // A sandbox is not a number.
    expect((await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Test chat' })).status).toBe(201);
  });

  it('refuses an invitation over the seats (members and open invitations)', async () => {
    expect((await owner.post('/api/v1/invitations', { email: 'one@example.com', role: 'agent' })).status).toBe(201);
    // Inviting the same email again replaces its invitation: no new seat.
    expect((await owner.post('/api/v1/invitations', { email: 'one@example.com', role: 'marketer' })).status).toBe(201);
    const over = await owner.post('/api/v1/invitations', { email: 'two@example.com', role: 'agent' });
    expect(over.status).toBe(402);
    expect(over.body.error.details).toEqual({ entitlement: 'seats', plan: 'Free', limit: 2, used: 2 });
  });

  it('refuses publishing (which activates) a second flow, and activating one', async () => {
    const first = await owner.post('/api/v1/flows', { name: 'First', document: HI_FLOW });
    expect((await owner.post(`/api/v1/flows/${first.body.id}/publish`, {})).status).toBe(201);
    const second = await owner.post('/api/v1/flows', { name: 'Second', document: HI_FLOW });
    const refused = await owner.post(`/api/v1/flows/${second.body.id}/publish`, {});
    expect(refused.status).toBe(402);
    expect(refused.body.error.message).toBe(
      "your Free plan's limit of active flows is 1 and this workspace has 1; remove one or upgrade the plan in Billing",
    );
    // Deactivate the first, publish the second, then reactivating the first is over the limit.
    expect((await owner.patch(`/api/v1/flows/${first.body.id}`, { active: false })).status).toBe(200);
    expect((await owner.post(`/api/v1/flows/${second.body.id}/publish`, {})).status).toBe(201);
    const reactivate = await owner.patch(`/api/v1/flows/${first.body.id}`, { active: true });
    expect(reactivate.status).toBe(402);
    expect(reactivate.body.error.code).toBe('plan_limit_reached');
  });
});

describe('when an admin keeps message history longer than the plan does', () => {
  it('refuses a longer period or "keep" for message content and media, naming the plan, and accepts one within it', async () => {
    const longer = await owner.put('/api/v1/retention/policy', { policy: { message_content: 31 } });
    expect(longer.status).toBe(402);
    expect(longer.body.error.code).toBe('plan_limit_reached');
    expect(longer.body.error.message).toContain('your Free plan keeps message history at most 30 days');
    expect(longer.body.error.details).toMatchObject({
      entitlement: 'retentionDays',
      plan: 'Free',
      limit: 30,
      kind: 'message_content',
      asked: 31,
    });
    const keep = await owner.put('/api/v1/retention/policy', { policy: { media_files: null } });
    expect(keep.status).toBe(402);
    expect(keep.body.error.details).toMatchObject({ kind: 'media_files', asked: null });
    const within = await owner.put('/api/v1/retention/policy', { policy: { message_content: 30, media_files: 7, run_steps: 400 } });
    expect(within.status).toBe(200);
    expect(within.body.policy).toMatchObject({ message_content: 30, media_files: 7, run_steps: 400 });
  });
});

describe('when a broadcast reaches the quota', () => {
  let channelId: string;
  let broadcastId: string;

  it('sends up to the quota, then pauses with quota_exceeded; the rest stay pending', async () => {
    channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Broadcast line' })).body.id;
    const created = await owner.post('/api/v1/broadcasts', {
      name: 'Launch',
      channelId,
      audience: { kind: 'phones', phones: PHONES },
      content: { kind: 'message', text: 'We launched' },
      schedule: { kind: 'now' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    broadcastId = created.body.id;
    expect((await owner.post(`/api/v1/broadcasts/${broadcastId}/schedule`, {})).status).toBe(200);
    const paused = await waitForBroadcastState(owner, broadcastId, 'paused', 30_000);
    expect(paused.stateReason).toMatch(
      /^quota_exceeded: the free plan's 3 automated messages are used until \d{4}-\d{2}-\d{2}; it resumes by itself when the quota returns$/,
    );
    const { rows } = await testSql<{ n: number }>(
      api.env.orm.em.fork(),
      `select count(*)::int as n from messages where workspace_id = :workspaceId and sender = 'broadcast'`,
      { workspaceId },
    );
    expect(rows[0]!.n).toBe(3);
    const log = (await owner.get('/api/v1/audit-log')).body.items
      .filter((e: { action: string }) => e.action === 'billing.usage_threshold')
      .map((e: { details: { threshold: number } }) => e.details.threshold);
    expect(log.sort()).toEqual([100, 80, 90]);
  });

  it('refuses to start or resume a broadcast while the quota is used up, with a clear API error', async () => {
    const res = await owner.post(`/api/v1/broadcasts/${broadcastId}/resume`, {});
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('quota_exceeded');
    expect(res.body.error.message).toMatch(/^your Free plan allows 3 automated messages per billing period and all of them are used until/);
  });

  it('resumes by itself when the quota returns (an upgrade), and sends the rest once', async () => {
    await owner.post('/api/v1/billing/checkout', { plan: 'pro' });
    const customerId = [...fake.customers.keys()][0]!;
    const now = Math.floor(Date.now() / 1000);
    fake.setSubscription({
      id: 'sub_Fklimits',
      customer: customerId,
      status: 'active',
      price: PRICE_PRO,
      current_period_start: now,
      current_period_end: now + 30 * 86_400,
    });
    const { body, signature } = signedEvent({
      id: 'evt_Fklimits',
      type: 'customer.subscription.created',
      created: now,
      object: { id: 'sub_Fklimits', object: 'subscription', customer: customerId },
    });
    expect(
      (
        await api.client.request('post', '/hooks/stripe', undefined, {
          rawBody: body,
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        })
      ).status,
    ).toBe(200);
    const done = await waitForBroadcastState(owner, broadcastId, 'completed', 30_000);
    expect(done.state).toBe('completed');
    const { rows } = await testSql<{ n: number; recipients: number }>(
      api.env.orm.em.fork(),
      `select count(*)::int as n, count(distinct contact_id)::int as recipients from messages where workspace_id = :workspaceId and sender = 'broadcast'`,
      { workspaceId },
    );
    expect(rows[0]).toEqual({ n: 5, recipients: 5 });
  });
});
