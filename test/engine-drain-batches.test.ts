import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { DRAIN_BATCHES_IN_FLIGHT } from '../platform/automation/conversation-drain.ts';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { signUpWithSandbox, type SandboxWorkspace } from './support/sandbox-workspace.ts';
import { eventually } from './support/eventually.ts';
import { publishFlow } from './support/publish-flow.ts';

let api: TestApi;
let server: Server;
/** Responses the slow server holds until the test lets them go. */
const held: (() => void)[] = [];

let calling: SandboxWorkspace;
let plain: SandboxWorkspace;
let phoneSeq = 0;

function newPhone(): string {
  phoneSeq += 1;
  return `+1555${String(4_000_000 + phoneSeq).padStart(7, '0')}`;
}

async function say(ws: SandboxWorkspace, from: string, text: string): Promise<{ conversationId: string; messageId: string }> {
  const res = await ws.owner.post(`/api/v1/channels/${ws.channelId}/sandbox/inbound`, { from, text, name: 'Sam' });
  expect(res.status).toBe(202);
  return res.body;
}

async function sql<T>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

async function repliesTo(conversationIds: string[]): Promise<{ conversationId: string; text: string }[]> {
  return sql(
    `select conversation_id as "conversationId", text from messages where conversation_id = any(cast(:ids as uuid[])) and direction = 'outbound'`,
    { ids: conversationIds },
  );
}

/** When each message's handling transaction began (the drain marks it handled with its now()). */
async function handledAt(messageIds: string[]): Promise<Map<string, number>> {
  const rows = await sql<{ id: string; at: number }>(
    `select id, cast(extract(epoch from handled_at) * 1000000 as float8) as at from messages where id = any(cast(:ids as uuid[]))`,
    { ids: messageIds },
  );
  return new Map(rows.map((r) => [r.id, r.at]));
}

beforeAll(async () => {
  server = createServer((_req, res) => {
    held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  api = await startTestApi({ HTTP_ALLOW_HOSTS: '127.0.0.1' });
  calling = await signUpWithSandbox(api, 'calling');
  plain = await signUpWithSandbox(api, 'plain');
  await publishFlow(
    api,
    calling.workspaceId,
    doc(
      [
        keywordTrigger('t', ['slow']),
        node('call', 'http_request', { url: `http://127.0.0.1:${port}/slow`, timeoutMs: 10_000 }),
        node('send', 'send_message', { text: 'slow done' }),
      ],
      [edge('t', 'out', 'call'), edge('call', 'success', 'send')],
    ),
    'calls out',
  );
  await publishFlow(
    api,
    plain.workspaceId,
    doc([keywordTrigger('t', ['hi']), node('send', 'send_message', { text: 'hello' })], [edge('t', 'out', 'send')]),
    'greeting',
  );
  await publishFlow(
    api,
    plain.workspaceId,
    doc(
      [keywordTrigger('t', ['two']), node('a', 'send_message', { text: 'first' }), node('b', 'send_message', { text: 'second' })],
      [edge('t', 'out', 'a'), edge('a', 'out', 'b')],
    ),
    'two replies',
  );
});

afterAll(async () => {
  for (const release of held.splice(0)) release();
  await api?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('inbound messages are handled in batches', () => {
  it('answers every conversation once, several conversations sharing a transaction', async () => {
    const said = await Promise.all(Array.from({ length: 40 }, () => say(plain, newPhone(), 'hi')));
    const conversationIds = said.map((s) => s.conversationId);
    const replies = await eventually(async () => {
      const rows = await repliesTo(conversationIds);
      return rows.length >= said.length ? rows : undefined;
    });
    expect(replies.map((r) => r.conversationId).sort()).toEqual([...conversationIds].sort());
    expect(new Set(replies.map((r) => r.text))).toEqual(new Set(['hello']));
    // 40 messages arriving together: fewer transactions than messages.
    const transactions = new Set((await handledAt(said.map((s) => s.messageId))).values());
    expect(transactions.size).toBeLessThan(said.length);
  });

  it('handles a message whose flow calls an outside system in a transaction of its own: other conversations are answered while its request is pending', async () => {
    // As many slow messages as a process has batches in flight: were they handled in batches,
    // every batch would wait for the outside system, and no other conversation would be answered.
    const slowSaid = await Promise.all(Array.from({ length: DRAIN_BATCHES_IN_FLIGHT }, () => say(calling, newPhone(), 'slow')));
    await eventually(async () => (held.length === slowSaid.length ? true : undefined));

    const plainSaid = await Promise.all(Array.from({ length: 10 }, () => say(plain, newPhone(), 'hi')));
    const plainConversations = plainSaid.map((s) => s.conversationId);
    await eventually(async () => ((await repliesTo(plainConversations)).length >= plainSaid.length ? true : undefined), 5_000);
    // The outside system has not answered yet: the slow runs are still in their HTTP request step.
    expect(held.length).toBe(slowSaid.length);
    const slowConversations = slowSaid.map((s) => s.conversationId);
    expect(await repliesTo(slowConversations)).toEqual([]);

    for (const release of held.splice(0)) release();
    const slowReplies = await eventually(async () => {
      const rows = await repliesTo(slowConversations);
      return rows.length >= slowSaid.length ? rows : undefined;
    });
    expect(slowReplies.map((r) => r.text)).toEqual(slowSaid.map(() => 'slow done'));
  });

  it('handles the conversations of one contact on two channels one after the other, never in the same transaction', async () => {
    const second = (await plain.owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S2' })).body.id as string;
    const other = { ...plain, channelId: second };
    const phone = newPhone();
    // Two other conversations take both batch slots, so the contact's two arrive while they run and wait together.
    const said = await Promise.all([
      say(plain, newPhone(), 'hi'),
      say(plain, newPhone(), 'hi'),
      say(plain, phone, 'hi'),
      say(other, phone, 'hi'),
    ]);
    const [, , first, secondSaid] = said;
    const conversationIds = said.map((s) => s.conversationId);
    await eventually(async () => ((await repliesTo(conversationIds)).length >= said.length ? true : undefined));
    const times = await handledAt([first!.messageId, secondSaid!.messageId]);
    expect(times.get(first!.messageId)).not.toBe(times.get(secondSaid!.messageId));
  });

  it("sends the replies of a batch through one send job per channel, each once, a conversation's replies in order", async () => {
    const said = await Promise.all([
      ...Array.from({ length: 30 }, () => say(plain, newPhone(), 'two')),
      ...Array.from({ length: 20 }, () => say(plain, newPhone(), 'hi')),
    ]);
    const conversationIds = said.map((s) => s.conversationId);
    const expected = said.length + 30;
    const sent = `select conversation_id as "conversationId", text, status_times ->> 'sent' as "sentAt", metadata -> 'batchJob' as "batchJob"
                    from messages where conversation_id = any(cast(:ids as uuid[])) and direction = 'outbound' and status in ('sent', 'delivered', 'read') order by id`;
    type Row = { conversationId: string; text: string; sentAt: string; batchJob: { queue: string; id: string } | null };
    const rows = await eventually(async () => {
      const found = await sql<Row>(sent, { ids: conversationIds });
      return found.length >= expected ? found : undefined;
    });
    expect(rows).toHaveLength(expected);
    for (const conversationId of conversationIds.slice(0, 30)) {
      const replies = rows.filter((r) => r.conversationId === conversationId);
      expect(replies.map((r) => r.text)).toEqual(['first', 'second']);
      expect(Date.parse(replies[0]!.sentAt)).toBeLessThanOrEqual(Date.parse(replies[1]!.sentAt));
    }
    // Replies recorded together share a batch job of their channel's send queue.
    const batched = rows.filter((r) => r.batchJob !== null);
    expect(batched.length).toBeGreaterThan(0);
    expect(new Set(batched.map((r) => r.batchJob!.queue))).toEqual(new Set([`send-${plain.channelId}`]));
    expect(new Set(batched.map((r) => r.batchJob!.id)).size).toBeLessThan(batched.length);
  });
});
