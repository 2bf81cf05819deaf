import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../api/routes/index.ts';
import type { AnyRoute } from '../api/route.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { inviteMember } from './support/invite-member.ts';
import { billingEnv, FakeStripe } from './support/fake-stripe.ts';
import { eventually } from './support/eventually.ts';
import { openEventStream } from './support/event-stream.ts';

/** Which resource of workspace A each `:id` route names, by the route's tag. */
const RESOURCE_BY_TAG: Record<string, keyof ResourcesOfA> = {
  channels: 'channelId',
  contacts: 'contactId',
  conversations: 'conversationId',
  members: 'memberId',
  invitations: 'invitationId',
  'api-keys': 'apiKeyId',
  flows: 'flowId',
  runs: 'runId',
  broadcasts: 'broadcastId',
  secrets: 'secretId',
  teams: 'teamId',
  'routing-rules': 'routingRuleId',
  'canned-responses': 'cannedResponseId',
  retention: 'sweepId',
  'legal-holds': 'holdId',
  exports: 'exportId',
  'contact-imports': 'importId',
  webhooks: 'webhookId',
  'webhook-deliveries': 'webhookDeliveryId',
  templates: 'templateId',
};

interface ResourcesOfA {
  workspaceId: string;
  channelId: string;
  contactId: string;
  conversationId: string;
  messageId: string;
  memberId: string;
  invitationId: string;
  apiKeyId: string;
  flowId: string;
  runId: string;
  broadcastId: string;
  secretId: string;
  teamId: string;
  routingRuleId: string;
  cannedResponseId: string;
  sweepId: string;
  holdId: string;
  exportId: string;
  importId: string;
  webhookId: string;
  webhookDeliveryId: string;
  templateId: string;
}

let api: TestApi;
let ownerA: ApiClient;
let ownerB: ApiClient;
let a: ResourcesOfA;
/** Billing is on (against a local fake Stripe), so that the billing routes are walked with real customers. */
const fake = new FakeStripe();
let customerOfA: string;

beforeAll(async () => {
  await fake.start();
  api = await startTestApi(billingEnv(fake));
  const signupA = await api.client.post('/api/v1/auth/signup', {
    email: 'owner-a@example.com',
    password: 'password-a-123',
    name: 'Owner A',
    workspaceName: 'Workspace A',
  });
  const signupB = await api.client.post('/api/v1/auth/signup', {
    email: 'owner-b@example.com',
    password: 'password-b-123',
    name: 'Owner B',
    workspaceName: 'Workspace B',
  });
  ownerA = api.client.as(signupA.body.token);
  ownerB = api.client.as(signupB.body.token);
  const channel = await ownerA.post('/api/v1/channels', { kind: 'sandbox', name: 'A sandbox' });
  const inbound = await ownerA.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, {
    from: '+15550000001',
    text: 'hello from A',
    name: 'Private Person',
  });
  const member = await inviteMember(ownerA, { email: 'agent-a@example.com', role: 'agent', name: 'Agent A', password: 'password-agent' });
  // An invitation left pending, for the walk of the invitation routes.
  const invitation = await ownerA.post('/api/v1/invitations', { email: 'pending-a@example.com', role: 'marketer' });
  const key = await ownerA.post('/api/v1/api-keys', { name: 'A key', role: 'admin' });
  const flow = await ownerA.post('/api/v1/flows', {
    name: 'A flow',
    document: {
      schemaVersion: 1,
      nodes: [
        { id: 'trigger', type: 'message_received', config: { match: { kind: 'keyword', keywords: ['hi'] } }, position: { x: 0, y: 0 } },
        { id: 'end', type: 'end', config: {}, position: { x: 0, y: 160 } },
      ],
      edges: [{ id: 'e', source: 'trigger', sourceHandle: 'out', target: 'end' }],
    },
  });
  const published = await ownerA.post(`/api/v1/flows/${flow.body.id}/publish`, {});
  // Runs are written by the engine only: one is inserted as the engine would.
  const runId = newId();
  await runSql(
    api.env.orm.em.fork(),
    `insert into runs (id, workspace_id, flow_id, flow_version_id, status) values (:runId, :workspaceId, :flowId, :versionId, 'completed')`,
    {
      runId,
      workspaceId: signupA.body.workspace.id,
      flowId: flow.body.id,
      versionId: published.body.version.id,
    },
  );
  const broadcast = await ownerA.post('/api/v1/broadcasts', {
    name: 'A broadcast',
    channelId: channel.body.id,
    audience: { kind: 'phones', phones: ['+15550000001'] },
    content: { kind: 'message', text: 'Hello from A' },
    schedule: { kind: 'at', localTime: '2099-01-01T09:00', timezone: 'UTC' },
  });
  const secret = await ownerA.post('/api/v1/secrets', { name: 'A_SECRET', value: 'value-of-workspace-a' });
  expect((await ownerA.post('/api/v1/billing/checkout', { plan: 'pro' })).status).toBe(200);
  customerOfA = [...fake.customers.keys()][0]!;
  const team = await ownerA.post('/api/v1/teams', { name: 'A team', isDefault: true, members: [{ userId: member.userId }] });
  const rule = await ownerA.post('/api/v1/routing-rules', { name: 'A rule', condition: { '==': [1, 1] }, teamId: team.body.id });
  const canned = await ownerA.post('/api/v1/canned-responses', { shortcut: 'a-hello', title: 'A hello', text: 'Hello {{contact.name}}' });
  // The conversation is in A's team queue, with a note and an event.
  await ownerA.post(`/api/v1/conversations/${inbound.body.conversationId}/transfer`, { teamId: team.body.id }).catch(() => undefined);
  await ownerA.post(`/api/v1/conversations/${inbound.body.conversationId}/notes`, { text: 'note of A' });
  const sweep = await ownerA.post('/api/v1/retention/sweeps', { dryRun: true });
  const hold = await ownerA.post('/api/v1/legal-holds', { scope: 'contact', contactId: inbound.body.contactId, reason: 'Hold of A' });
  const contactExport = await ownerA.post(`/api/v1/contacts/${inbound.body.contactId}/export`, {});
  // A checked dry run (kept, with its file and its problem rows), for the walk of the import routes.
  const contactImport = await ownerA.request(
    'post',
    `/api/v1/contacts/imports?options=${encodeURIComponent(JSON.stringify({ dryRun: true }))}`,
    undefined,
    {
      rawBody: 'phone,name\n+15550000009,Private Person\nnot a phone,Private Person\n',
      headers: { 'content-type': 'text/csv' },
    },
  );
  await eventually(async () =>
    (await ownerA.get(`/api/v1/contacts/imports/${contactImport.body.id}`)).body.status === 'checked' ? true : undefined,
  );
  // A webhook of A (for an event this test never causes, so nothing is sent anywhere) and a delivery of it, as the outbox writes them.
  const webhook = await ownerA.post('/api/v1/webhooks', {
    url: 'https://hooks.example.com/a',
    description: 'A hook',
    eventTypes: ['broadcast.finished'],
  });
  const webhookEventId = newId();
  const webhookDeliveryId = newId();
  await runSql(
    api.env.orm.em.fork(),
    `insert into webhook_events (id, workspace_id, type, payload, created_at) values (:webhookEventId, :workspaceId, 'broadcast.finished', '{"data":{"name":"hello from A"}}', now())`,
    { webhookEventId, workspaceId: signupA.body.workspace.id },
  );
  await runSql(
    api.env.orm.em.fork(),
    `insert into webhook_deliveries (id, workspace_id, event_id, endpoint_id, status, created_at) values (:webhookDeliveryId, :workspaceId, :webhookEventId, :endpointId, 'failed', now())`,
    { webhookDeliveryId, webhookEventId, workspaceId: signupA.body.workspace.id, endpointId: webhook.body.id },
  );
  const template = await ownerA.post('/api/v1/templates', {
    name: 'A template',
    content: { fallbackLanguage: 'en', variants: [{ language: 'en', text: 'Hello {{contact.name}} from A' }] },
  });
  a = {
    templateId: template.body.id,
    sweepId: sweep.body.id,
    holdId: hold.body.id,
    exportId: contactExport.body.id,
    importId: contactImport.body.id,
    webhookId: webhook.body.id,
    webhookDeliveryId,
    workspaceId: signupA.body.workspace.id,
    secretId: secret.body.id,
    teamId: team.body.id,
    routingRuleId: rule.body.id,
    cannedResponseId: canned.body.id,
    broadcastId: broadcast.body.id,
    channelId: channel.body.id,
    contactId: inbound.body.contactId,
    conversationId: inbound.body.conversationId,
    messageId: inbound.body.messageId,
    memberId: member.memberId,
    invitationId: invitation.body.id,
    apiKeyId: key.body.id,
    flowId: flow.body.id,
    runId,
  };
  for (const [name, value] of Object.entries(a)) expect(value, name).toMatch(/^[0-9a-f-]{36}$/);
});

afterAll(async () => {
  await api?.close();
  await fake.stop();
});

function fill(route: AnyRoute, ids: ResourcesOfA): string {
  return '/api' + route.path.replace(':messageId', ids.messageId).replace(':id', () => ids[RESOURCE_BY_TAG[route.tag]!]);
}

describe('when a member of another workspace walks every route', () => {
  const idRoutes = allRoutes.filter((r) => r.path.includes(':id'));
  // Streams never end: the live inbox stream is walked by its own test below.
  const listRoutes = allRoutes.filter((r) => !r.path.includes(':id') && r.method === 'get' && !r.stream);

  it('knows which resource every :id route names', () => {
    const unmapped = idRoutes.filter((r) => !RESOURCE_BY_TAG[r.tag]).map((r) => `${r.method} ${r.path}`);
    expect(unmapped).toEqual([]);
  });

  it.each(idRoutes.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
    "answers 404 for %s with the first workspace's id",
    async (_name, route) => {
      const res = await ownerB.request(route.method, fill(route, a), route.exampleBody);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      expect(JSON.stringify(res.body)).not.toContain('hello from A');
    },
  );

  it.each(listRoutes.map((r) => [`GET ${r.path}`, r] as const))("shows none of the first workspace's data in %s", async (_name, route) => {
    const res = await ownerB.get('/api' + route.path);
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    for (const id of Object.values(a)) expect(text).not.toContain(id);
    expect(text).not.toContain(customerOfA);
    expect(text).not.toContain('Private Person');
  });

  it("opens Checkout and the portal for its own workspace only, never with the first workspace's Stripe customer", async () => {
    const before = fake.requests.length;
    expect((await ownerB.post('/api/v1/billing/checkout', { plan: 'pro' })).status).toBe(200);
    expect((await ownerB.post('/api/v1/billing/portal', {})).status).toBe(200);
    const calls = fake.requests.slice(before);
    const customerOfB = calls.find((r) => r.path === '/v1/customers')!;
    expect(customerOfB.params.get('metadata[workspaceId]')).not.toBe(a.workspaceId);
    for (const call of calls.filter((r) => r.path !== '/v1/customers')) expect(call.params.get('customer')).not.toBe(customerOfA);
    const billing = await ownerB.get('/api/v1/billing');
    expect(billing.body.plan.id).toBe('free');
    expect(JSON.stringify(billing.body)).not.toContain(a.workspaceId);
  });

  it("finds nothing when filtering lists by the first workspace's ids", async () => {
    const conversations = await ownerB.get(`/api/v1/conversations?channelId=${a.channelId}&contactId=${a.contactId}`);
    expect(conversations.status).toBe(200);
    expect(conversations.body.items).toEqual([]);
  });

  it('cannot switch into the first workspace', async () => {
    const res = await ownerB.post('/api/v1/auth/switch', { workspaceId: a.workspaceId });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('cannot log in into the first workspace by naming it', async () => {
    const res = await api.client.post('/api/v1/auth/login', {
      email: 'owner-b@example.com',
      password: 'password-b-123',
      workspaceId: a.workspaceId,
    });
    expect(res.status).toBe(404);
  });

  it('leaves every resource of the first workspace unchanged', async () => {
    const channel = await ownerA.get(`/api/v1/channels/${a.channelId}`);
    expect(channel.body.name).toBe('A sandbox');
    const broadcast = await ownerA.get(`/api/v1/broadcasts/${a.broadcastId}`);
    expect(broadcast.body).toMatchObject({ name: 'A broadcast', state: 'draft' });
    const contact = await ownerA.get(`/api/v1/contacts/${a.contactId}`);
    expect(contact.body.name).toBe('Private Person');
    const members = await ownerA.get('/api/v1/members');
    expect(members.body.items.map((m: any) => m.id)).toContain(a.memberId);
    const invitations = await ownerA.get('/api/v1/invitations');
    expect(invitations.body.items.map((i: any) => i.id)).toContain(a.invitationId);
    const keys = await ownerA.get('/api/v1/api-keys');
    expect(keys.body.items.map((k: any) => k.id)).toContain(a.apiKeyId);
    const messages = await ownerA.get(`/api/v1/conversations/${a.conversationId}/messages`);
    expect(messages.body.items.map((m: any) => m.text)).toEqual(['hello from A']);
    const flow = await ownerA.get(`/api/v1/flows/${a.flowId}`);
    expect(flow.body).toMatchObject({ name: 'A flow', draftRevision: 1, active: true, publishedVersion: 1, hasWebhookToken: false });
    expect((await ownerA.get(`/api/v1/runs/${a.runId}`)).status).toBe(200);
    const secrets = await ownerA.get('/api/v1/secrets');
    expect(secrets.body.items).toEqual([expect.objectContaining({ id: a.secretId, name: 'A_SECRET', last4: 'ce-a' })]);
    const holds = await ownerA.get('/api/v1/legal-holds');
    expect(holds.body.items).toEqual([expect.objectContaining({ id: a.holdId, active: true })]);
    expect((await ownerA.get(`/api/v1/exports/${a.exportId}`)).status).toBe(200);
    expect((await ownerA.get(`/api/v1/retention/sweeps/${a.sweepId}`)).status).toBe(200);
    // The dry run was not started by the walk's POST, and its report is intact.
    expect((await ownerA.get(`/api/v1/contacts/imports/${a.importId}`)).body).toMatchObject({ status: 'checked', dryRun: true, failed: 1 });
  });

  it("exports none of the first workspace's contacts, whatever the filter", async () => {
    const res = await ownerB.get(`/api/v1/contacts/export.csv?q=${encodeURIComponent('Private Person')}`);
    expect(res.status).toBe(200);
    expect(res.body).not.toContain('Private Person');
    const tagged = await ownerB.post('/api/v1/contacts/bulk-tags', {
      action: 'add',
      tags: ['stolen'],
      target: { kind: 'ids', ids: [a.contactId] },
    });
    expect(tagged.body).toEqual({ changed: 0 });
    expect((await ownerA.get(`/api/v1/contacts/${a.contactId}`)).body.tags).not.toContain('stolen');
    const webhooks = await ownerA.get('/api/v1/webhooks');
    expect(webhooks.body.items).toEqual([
      expect.objectContaining({ id: a.webhookId, url: 'https://hooks.example.com/a', enabled: true, eventTypes: ['broadcast.finished'] }),
    ]);
    expect((await ownerA.get(`/api/v1/webhook-deliveries/${a.webhookDeliveryId}`)).body.attemptLog).toEqual([]);
    // The walk's PATCH and DELETE made no version of A's template and did not delete it.
    expect((await ownerA.get(`/api/v1/templates/${a.templateId}`)).body).toMatchObject({ name: 'A template', version: 1 });
  });
});

describe('when a member of another workspace opens the live inbox stream', () => {
  it("hears nothing of the first workspace's conversations", async () => {
    const streamB = await openEventStream(api.client.baseUrl, '/api/v1/inbox/events', ownerB.token!);
    const streamA = await openEventStream(api.client.baseUrl, '/api/v1/inbox/events', ownerA.token!);
    expect(streamB.status).toBe(200);
    expect(streamB.contentType).toContain('text/event-stream');
    await eventually(async () => (streamA.text().includes('event: ready') && streamB.text().includes('event: ready') ? true : undefined));
    // Workspace A's conversation moves and gets a message while both listen.
    await ownerA.post(`/api/v1/conversations/${a.conversationId}/resolve`);
    await ownerA.post(`/api/v1/conversations/${a.conversationId}/reopen`);
    await ownerA.post(`/api/v1/conversations/${a.conversationId}/messages`, { text: 'reply of A' });
    await eventually(async () =>
      streamA.events().filter((e) => e.data.conversationId === a.conversationId).length >= 3 ? true : undefined,
    );
    await streamA.close();
    await streamB.close();
    expect(streamB.text()).not.toContain(a.conversationId);
    expect(streamB.events()).toEqual([{ event: 'ready', data: {} }]);
  });
});

describe('when a workspace API key is used', () => {
  it('is scoped to its own workspace too', async () => {
    const key = await ownerB.post('/api/v1/api-keys', { name: 'B key', role: 'admin' });
    const byKey = api.client.as(key.body.secret);
    expect((await byKey.get(`/api/v1/channels/${a.channelId}`)).status).toBe(404);
    expect((await byKey.get('/api/v1/channels')).body.items).toEqual([]);
  });
});
