import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { TIMER_QUEUE, timerJobId } from '../platform/automation/engine-queues.ts';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { publishFlow } from './support/publish-flow.ts';

// The timers of one conversation fire in the order they were due. Found by the chaos run: a
// timer job lost with Redis's data (or held by a worker killed with it) was re-sent by the
// reconciler seconds later, after the timer of the contact's next message had fired, so the
// contact got "done b" before "done a".

let api: TestApi;
let owner: ApiClient;
let channelId: string;
let timers: Queue;

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'timer-order@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Timers',
  });
  owner = api.client.as(signup.body.token);
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
  await publishFlow(
    api,
    signup.body.workspace.id,
    doc(
      [
        keywordTrigger('t', ['step'], 'starts_with'),
        node('pause', 'delay', { mode: 'duration', duration: { amount: 1, unit: 'seconds' } }),
        node('done', 'send_message', { text: 'done {{message.text}}' }),
      ],
      [edge('t', 'out', 'pause'), edge('pause', 'out', 'done')],
    ),
    'delay',
  );
  timers = new Queue(TIMER_QUEUE, { connection: api.env.redis, prefix: api.env.config.redisPrefix });
}, 60_000);

afterAll(async () => {
  await timers?.close();
  await api?.close();
});

async function waitingRun(conversationId: string, text: string): Promise<{ id: string; stepCount: number }> {
  return eventually(async () => {
    const { rows } = await testSql<{ id: string; stepCount: number }>(
      api.env.orm.em.fork(),
      `select r.id, r.step_count as "stepCount" from runs r join messages m on m.id::text = r.trigger ->> 'messageId'
        where r.conversation_id = :conversationId and r.status = 'waiting' and m.text = :text`,
      { conversationId, text },
    );
    return rows[0];
  });
}

describe('timers of one conversation', () => {
  it('fire in due order when an earlier timer job was lost', async () => {
    const from = '+15550001001';
    const a = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text: 'step a' });
    expect(a.status).toBe(202);
    const runA = await waitingRun(a.body.conversationId, 'step a');
    // Redis loses run a's timer (a restart without its data) before it is due. The job is added
    // just after the run's transaction commits, so the run can show waiting a moment before it.
    const job = await eventually(() => timers.getJob(timerJobId(runA.id, runA.stepCount)), { what: "run a's timer job" });
    await job.remove();

    const b = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text: 'step b' });
    expect(b.body.conversationId).toBe(a.body.conversationId);
    await waitingRun(b.body.conversationId, 'step b');

    // Run b's timer wakes run a first (due earlier), well before the reconciler would notice.
    const started = Date.now();
    const texts = await eventually(async () => {
      const { rows } = await testSql<{ text: string }>(
        api.env.orm.em.fork(),
        `select text from messages where conversation_id = :id and direction = 'outbound' order by id`,
        { id: a.body.conversationId },
      );
      return rows.length >= 2 ? rows.map((r) => r.text) : undefined;
    }, 15_000);
    expect(texts).toEqual(['done step a', 'done step b']);
    expect(Date.now() - started).toBeLessThan(2_500);
  }, 30_000);
});
