import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSql } from './support/test-sql.ts';
import { eventually } from './support/eventually.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { inviteMember } from './support/invite-member.ts';
import type { ApiClient } from './support/api-client.ts';

let api: TestApi;
let owner: ApiClient;
let other: ApiClient;
let channelId: string;

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

/** "hi" (or other keywords) → one reply. */
function replyDocument(keywords: string[], reply: string) {
  return {
    schemaVersion: 1,
    nodes: [
      {
        id: 'trigger',
        type: 'message_received',
        label: 'Says hi',
        config: { match: { kind: 'keyword', keywords } },
        position: { x: 0, y: 0 },
      },
      { id: 'reply', type: 'send_message', label: 'Answer', config: { text: reply }, position: { x: 0, y: 160 } },
    ],
    edges: [{ id: 'e', source: 'trigger', sourceHandle: 'out', target: 'reply' }],
  };
}

async function publishedFlow(name: string, keywords: string[], reply: string): Promise<{ id: string; draftRevision: number }> {
  const created = await owner.post('/api/v1/flows', { name, document: replyDocument(keywords, reply) });
  expect(created.status).toBe(201);
  const published = await owner.post(`/api/v1/flows/${created.body.id}/publish`, {});
  expect(published.status).toBe(201);
  return { id: created.body.id, draftRevision: created.body.draftRevision };
}

/** The bot's replies in a conversation, oldest first, once there are `count`. */
async function replies(conversationId: string, count: number): Promise<string[]> {
  return eventually(async () => {
    const res = await owner.get(`/api/v1/conversations/${conversationId}/messages?limit=50`);
    const texts = res.body.items.filter((m: any) => m.direction === 'outbound').map((m: any) => m.text);
    return texts.length >= count ? texts : undefined;
  }, 20_000);
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'chat@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Chat',
  });
  owner = api.client.as(signup.body.token);
  const otherSignup = await api.client.post('/api/v1/auth/signup', {
    email: 'chat-other@example.com',
    password: 'password-123',
    name: 'Other',
    workspaceName: 'Other',
  });
  other = api.client.as(otherSignup.body.token);
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' })).body.id;
});

afterAll(async () => {
  await api?.close();
});

describe('when the draft is tested before publishing', () => {
  it('answers with the draft, while real contacts still get the published version', async () => {
    const flow = await publishedFlow('Greeter', ['hello'], 'Old greeting');
    const saved = await owner.patch(`/api/v1/flows/${flow.id}`, {
      document: replyDocument(['hello'], 'New greeting'),
      baseRevision: flow.draftRevision,
    });
    expect(saved.status).toBe(200);

    const test = await owner.post(`/api/v1/flows/${flow.id}/test-chat/messages`, { text: 'hello', target: 'draft' });
    expect(test.status).toBe(202);
    expect(test.body.testing).toBe(`draft (revision ${saved.body.draftRevision})`);
    expect(test.body.contactPhone).toMatch(/^\+999\d{12}$/);
    expect(await replies(test.body.conversationId, 1)).toEqual(['New greeting']);

    const real = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550001111', text: 'hello' });
    expect(await replies(real.body.conversationId, 1)).toEqual(['Old greeting']);

    // The published version answers the test chat too, when asked for, in the same test conversation.
    const again = await owner.post(`/api/v1/flows/${flow.id}/test-chat/messages`, {
      text: 'hello',
      target: 'published',
      contactId: test.body.contactId,
    });
    expect(again.body.conversationId).toBe(test.body.conversationId);
    expect(await replies(test.body.conversationId, 2)).toEqual(['New greeting', 'Old greeting']);

    // The test snapshot is not a published version.
    const versions = await owner.get(`/api/v1/flows/${flow.id}/versions`);
    expect(versions.body.items.map((v: any) => v.version)).toEqual([1]);
    const runs = await owner.get(`/api/v1/flows/${flow.id}/runs`);
    const testRun = runs.body.items.find((r: any) => r.conversationId === test.body.conversationId && r.draftTest);
    expect(testRun).toMatchObject({ version: 0, testContact: true, contactName: 'Test contact', triggerText: 'hello' });
  });

  it('refuses a draft with problems, saying so', async () => {
    const created = await owner.post('/api/v1/flows', { name: 'Broken', document: replyDocument(['x'], '') });
    const res = await owner.post(`/api/v1/flows/${created.body.id}/test-chat/messages`, { text: 'x', target: 'draft' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('flow_invalid');
  });

  it("runs only this flow: another flow's keyword is explained as not matched", async () => {
    await publishedFlow('Prices', ['price'], 'Our prices');
    const flow = await publishedFlow('Hours', ['hours', 'open'], 'We open at 9');
    const res = await owner.post(`/api/v1/flows/${flow.id}/test-chat/messages`, { text: 'price', target: 'published' });
    expect(res.status).toBe(202);
    const outcome = await eventually(async () => {
      const page = await owner.get(`/api/v1/conversations/${res.body.conversationId}/messages?limit=10`);
      return page.body.items.find((m: any) => m.id === res.body.messageId)?.outcome ?? undefined;
    });
    expect(outcome).toEqual({ code: 'no_match', explanation: 'No trigger matched: this flow listens for "hours", "open".' });
    const page = await owner.get(`/api/v1/conversations/${res.body.conversationId}/messages?limit=10`);
    expect(page.body.items.filter((m: any) => m.direction === 'outbound')).toEqual([]);
  });
});

describe('test contacts', () => {
  it('never count in segment previews (broadcast audiences)', async () => {
    const flow = await publishedFlow('Counted', ['count'], 'ok');
    const before = await owner.post('/api/v1/segments/preview', { rule: true });
    await owner.post(`/api/v1/flows/${flow.id}/test-chat/messages`, { text: 'count', target: 'published' });
    await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550002222', text: 'count' });
    const after = await owner.post('/api/v1/segments/preview', { rule: true });
    expect(after.body.count).toBe(before.body.count + 1);
    expect(after.body.sample.some((c: any) => String(c.phone).startsWith('+999'))).toBe(false);
    const [row] = await sql<{ n: number }>(`select count(*)::int as n from contacts where phone like '+999%' and is_test`);
    expect(row!.n).toBeGreaterThan(0);
  });

  it("cannot be another workspace's contact, nor a flow of another workspace", async () => {
    const flow = await publishedFlow('Mine', ['mine'], 'ok');
    const mine = await owner.post(`/api/v1/flows/${flow.id}/test-chat/messages`, { text: 'mine', target: 'published' });
    expect((await other.post(`/api/v1/flows/${flow.id}/test-chat/messages`, { text: 'mine', target: 'published' })).status).toBe(404);
    const otherFlow = await other.post('/api/v1/flows', { name: 'Theirs', document: replyDocument(['x'], 'y') });
    await other.post('/api/v1/channels', { kind: 'sandbox', name: 'S' });
    const res = await other.post(`/api/v1/flows/${otherFlow.body.id}/test-chat/messages`, {
      text: 'x',
      target: 'draft',
      contactId: mine.body.contactId,
    });
    expect(res.status).toBe(404);
  });

  it('is refused to an agent, who cannot edit flows', async () => {
    const flow = await publishedFlow('Agents', ['agent'], 'ok');
    const { client } = await inviteMember(owner, {
      email: 'chat-agent@example.com',
      role: 'agent',
      name: 'Agent',
      password: 'password-agent',
    });
    expect((await client.post(`/api/v1/flows/${flow.id}/test-chat/messages`, { text: 'agent', target: 'published' })).status).toBe(403);
  });
});

describe('when two active flows listen for the same keyword', () => {
  it('warns in the overlap check and the publish answer, naming the winner and why, and priority changes the winner', async () => {
    const first = await publishedFlow('Menu', ['menu'], 'The menu');
    const second = await owner.post('/api/v1/flows', { name: 'Menu v2', document: replyDocument(['menu'], 'The new menu') });
    const check = await owner.get(`/api/v1/flows/${second.body.id}/trigger-overlaps`);
    expect(check.status).toBe(200);
    expect(check.body.items).toEqual([
      expect.objectContaining({
        otherFlowId: first.id,
        winnerFlowName: 'Menu',
        reason: 'published_first',
        message:
          '"Menu" also answers "menu": "Menu" wins because it was published first (both triggers are equally specific and have the same priority).',
      }),
    ]);
    const published = await owner.post(`/api/v1/flows/${second.body.id}/publish`, {});
    expect(published.body.overlaps).toEqual([expect.objectContaining({ otherFlowName: 'Menu', winnerFlowName: 'Menu' })]);

    let real = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550003333', text: 'menu' });
    expect(await replies(real.body.conversationId, 1)).toEqual(['The menu']);

    const raised = await owner.patch(`/api/v1/flows/${second.body.id}`, { priority: 10 });
    expect(raised.status).toBe(200);
    expect(raised.body.priority).toBe(10);
    const recheck = await owner.get(`/api/v1/flows/${first.id}/trigger-overlaps`);
    expect(recheck.body.items[0]).toMatchObject({ winnerFlowName: 'Menu v2', reason: 'priority' });
    real = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: '+15550004444', text: 'menu' });
    expect(await replies(real.body.conversationId, 1)).toEqual(['The new menu']);
    expect((await owner.patch(`/api/v1/flows/${second.body.id}`, { priority: 5000 })).status).toBe(400);
  });
});
