import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../api/routes/index.ts';
import type { AnyRoute } from '../api/route.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { inviteMember } from './support/invite-member.ts';

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
  retention: 'sweepId',
  'legal-holds': 'holdId',
  exports: 'exportId',
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
  sweepId: string;
  holdId: string;
  exportId: string;
}

let api: TestApi;
let ownerA: ApiClient;
let ownerB: ApiClient;
let a: ResourcesOfA;

beforeAll(async () => {
  api = await startTestApi();
  const signupA = await api.client.post('/api/v1/auth/signup', { email: 'owner-a@example.com', password: 'password-a-123', name: 'Owner A', workspaceName: 'Workspace A' });
  const signupB = await api.client.post('/api/v1/auth/signup', { email: 'owner-b@example.com', password: 'password-b-123', name: 'Owner B', workspaceName: 'Workspace B' });
  ownerA = api.client.as(signupA.body.token);
  ownerB = api.client.as(signupB.body.token);
  const channel = await ownerA.post('/api/v1/channels', { kind: 'sandbox', name: 'A sandbox' });
  const inbound = await ownerA.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, { from: '+15550000001', text: 'hello from A', name: 'Private Person' });
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
  await runSql(api.env.orm.em.fork(), `insert into runs (id, workspace_id, flow_id, flow_version_id, status) values (:runId, :workspaceId, :flowId, :versionId, 'completed')`, {
    runId,
    workspaceId: signupA.body.workspace.id,
    flowId: flow.body.id,
    versionId: published.body.version.id,
  });
  const broadcast = await ownerA.post('/api/v1/broadcasts', {
    name: 'A broadcast',
    channelId: channel.body.id,
    audience: { kind: 'phones', phones: ['+15550000001'] },
    content: { kind: 'message', text: 'Hello from A' },
    schedule: { kind: 'at', localTime: '2099-01-01T09:00', timezone: 'UTC' },
  });
  const secret = await ownerA.post('/api/v1/secrets', { name: 'A_SECRET', value: 'value-of-workspace-a' });
  const sweep = await ownerA.post('/api/v1/retention/sweeps', { dryRun: true });
  const hold = await ownerA.post('/api/v1/legal-holds', { scope: 'contact', contactId: inbound.body.contactId, reason: 'Hold of A' });
  const contactExport = await ownerA.post(`/api/v1/contacts/${inbound.body.contactId}/export`, {});
  a = {
    sweepId: sweep.body.id,
    holdId: hold.body.id,
    exportId: contactExport.body.id,
    workspaceId: signupA.body.workspace.id,
    secretId: secret.body.id,
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
});

function fill(route: AnyRoute, ids: ResourcesOfA): string {
  return '/api' + route.path.replace(':id', () => ids[RESOURCE_BY_TAG[route.tag]!]);
}

describe('when a member of another workspace walks every route', () => {
  const idRoutes = allRoutes.filter((r) => r.path.includes(':id'));
  const listRoutes = allRoutes.filter((r) => !r.path.includes(':id') && r.method === 'get');

  it('knows which resource every :id route names', () => {
    const unmapped = idRoutes.filter((r) => !RESOURCE_BY_TAG[r.tag]).map((r) => `${r.method} ${r.path}`);
    expect(unmapped).toEqual([]);
  });

  it.each(idRoutes.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('answers 404 for %s with the first workspace\'s id', async (_name, route) => {
    const res = await ownerB.request(route.method, fill(route, a), route.exampleBody);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(JSON.stringify(res.body)).not.toContain('hello from A');
  });

  it.each(listRoutes.map((r) => [`GET ${r.path}`, r] as const))('shows none of the first workspace\'s data in %s', async (_name, route) => {
    const res = await ownerB.get('/api' + route.path);
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    for (const id of Object.values(a)) expect(text).not.toContain(id);
    expect(text).not.toContain('Private Person');
  });

  it('finds nothing when filtering lists by the first workspace\'s ids', async () => {
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
    const res = await api.client.post('/api/v1/auth/login', { email: 'owner-b@example.com', password: 'password-b-123', workspaceId: a.workspaceId });
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
