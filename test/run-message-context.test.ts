import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { testSql } from './support/test-sql.ts';
import { eventually } from './support/eventually.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { publishFlow } from './support/publish-flow.ts';

// `{{message.text}}` is the message that started or last resumed the run, after every kind of
// wait: a delay, a reply timeout, a question's timeout, a reply followed by a delay
// (regression: a run resumed by its timer saw no message at all and sent "done ").

let api: TestApi;
let owner: ApiClient;
let channelId: string;
let phoneSeq = 0;

function newPhone(): string {
  phoneSeq += 1;
  return `+1555${String(3_100_000 + phoneSeq).padStart(7, '0')}`;
}

async function say(from: string, text: string): Promise<{ conversationId: string }> {
  const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text, name: 'Sam' });
  expect(res.status).toBe(202);
  return res.body;
}

async function outbound(conversationId: string, count: number): Promise<string[]> {
  return eventually(async () => {
    const { rows } = await testSql<{ text: string }>(
      api.env.orm.em.fork(),
      `select text from messages where conversation_id = :conversationId and direction = 'outbound' order by id`,
      { conversationId },
    );
    return rows.length >= count ? rows.map((r) => r.text) : undefined;
  }, 15_000);
}

async function waiting(conversationId: string): Promise<void> {
  await eventually(async () => {
    const { rows } = await testSql<{ status: string }>(
      api.env.orm.em.fork(),
      `select status from runs where conversation_id = :conversationId`,
      { conversationId },
    );
    return rows[0]?.status === 'waiting' ? true : undefined;
  });
}

const second = { amount: 1, unit: 'seconds' };

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'context@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Context',
  });
  owner = api.client.as(signup.body.token);
  const workspaceId = signup.body.workspace.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('t', ['echo'], 'starts_with'),
        node('first', 'send_message', { text: 'echo {{message.text}}' }),
        node('wait', 'delay', { mode: 'duration', duration: second }),
        node('done', 'send_message', { text: 'done {{message.text}}' }),
      ],
      [edge('t', 'out', 'first'), edge('first', 'out', 'wait'), edge('wait', 'out', 'done')],
    ),
    'delay',
  );
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('t', ['silent'], 'starts_with'),
        node('wait', 'wait_for_reply', { timeout: second }),
        node('late', 'send_message', { text: 'no answer to {{message.text}}' }),
      ],
      [edge('t', 'out', 'wait'), edge('wait', 'timeout', 'late')],
    ),
    'reply-timeout',
  );
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('t', ['quiz'], 'starts_with'),
        node('ask', 'ask_question', { prompt: 'Your name?', storeAs: { target: 'variable', name: 'name' }, timeout: second }),
        node('late', 'send_message', { text: 'timed out after {{message.text}}' }),
      ],
      [edge('t', 'out', 'ask'), edge('ask', 'timeout', 'late')],
    ),
    'question-timeout',
  );
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('t', ['reply then wait']),
        node('wait', 'wait_for_reply', { timeout: { amount: 1, unit: 'hours' } }),
        node('pause', 'delay', { mode: 'duration', duration: second }),
        node('done', 'send_message', { text: 'you wrote {{message.text}}' }),
      ],
      [edge('t', 'out', 'wait'), edge('wait', 'reply', 'pause'), edge('pause', 'out', 'done')],
    ),
    'reply-then-delay',
  );
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('t', ['name then wait']),
        node('ask', 'ask_question', { prompt: 'Your name?', storeAs: { target: 'variable', name: 'name' } }),
        node('pause', 'delay', { mode: 'duration', duration: second }),
        node('done', 'send_message', { text: 'answer {{message.text}}' }),
      ],
      [edge('t', 'out', 'ask'), edge('ask', 'answered', 'pause'), edge('pause', 'out', 'done')],
    ),
    'answer-then-delay',
  );
});

afterAll(async () => {
  await api?.close();
});

describe('a run resumed by its timer keeps the message that started it', () => {
  it('after a delay', async () => {
    const { conversationId } = await say(newPhone(), 'echo 42');
    expect(await outbound(conversationId, 2)).toEqual(['echo echo 42', 'done echo 42']);
  });

  it('after a wait for reply times out', async () => {
    const { conversationId } = await say(newPhone(), 'silent please');
    expect(await outbound(conversationId, 1)).toEqual(['no answer to silent please']);
  });

  it('after a question times out', async () => {
    const { conversationId } = await say(newPhone(), 'quiz me');
    expect(await outbound(conversationId, 2)).toEqual(['Your name?', 'timed out after quiz me']);
  });
});

describe('a run resumed by a reply and then by its timer keeps the reply', () => {
  it('a wait for reply, then a delay', async () => {
    const phone = newPhone();
    const { conversationId } = await say(phone, 'reply then wait');
    await waiting(conversationId);
    await say(phone, 'blue');
    expect(await outbound(conversationId, 1)).toEqual(['you wrote blue']);
  });

  it('an answered question, then a delay', async () => {
    const phone = newPhone();
    const { conversationId } = await say(phone, 'name then wait');
    await outbound(conversationId, 1);
    await say(phone, 'Ada');
    expect(await outbound(conversationId, 2)).toEqual(['Your name?', 'answer Ada']);
  });
});
