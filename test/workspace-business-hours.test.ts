import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { WEEKDAYS } from '../engine/flows/zoned-time.ts';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { eventually } from './support/eventually.ts';
import { publishFlow } from './support/publish-flow.ts';
import { testSql } from './support/test-sql.ts';

// A Business hours node without hours of its own reads the workspace's, as saved in Settings →
// Workspace: the engine reads them from the workspace row at every inbound message.

let api: TestApi;
let owner: ApiClient;
let channelId: string;
let phoneSeq = 0;

const everyDay = (intervals: { from: string; to: string }[]) => Object.fromEntries(WEEKDAYS.map((day) => [day, intervals]));

async function replyTo(text: string): Promise<string> {
  phoneSeq += 1;
  const from = `+1555${String(3_900_000 + phoneSeq).padStart(7, '0')}`;
  const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text });
  expect(res.status).toBe(202);
  const conversationId = res.body.conversationId as string;
  return eventually(async () => {
    const { rows } = await testSql<{ text: string }>(
      api.env.orm.em.fork(),
      `select text from messages where conversation_id = :conversationId and direction = 'outbound'`,
      { conversationId },
    );
    return rows[0]?.text;
  }, 15_000);
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'hours@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Hours',
  });
  owner = api.client.as(signup.body.token);
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
  await publishFlow(
    api,
    signup.body.workspace.id,
    doc(
      [
        keywordTrigger('t', ['hours']),
        node('when', 'business_hours', {}),
        node('open', 'send_message', { text: 'we are open' }),
        node('closed', 'send_message', { text: 'we are closed' }),
      ],
      [edge('t', 'out', 'when'), edge('when', 'open', 'open'), edge('when', 'closed', 'closed')],
    ),
    'hours',
  );
});

afterAll(async () => {
  await api?.close();
});

describe('a Business hours node without hours of its own', () => {
  it("follows the workspace's saved hours, as they are at each message", async () => {
    const open = await owner.patch('/api/v1/workspace', { businessHours: everyDay([{ from: '00:00', to: '24:00' }]) });
    expect(open.status, JSON.stringify(open.body)).toBe(200);
    expect(await replyTo('hours')).toBe('we are open');

    const closed = await owner.patch('/api/v1/workspace', { businessHours: everyDay([]) });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(await replyTo('hours')).toBe('we are closed');
  });
});
