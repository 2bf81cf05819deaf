import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { systemClock } from '../engine/clock.ts';
import { newId } from '../platform/ids.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { eventually } from './support/eventually.ts';
import { queuesIdle } from './support/queues-idle.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { publishFlow } from './support/publish-flow.ts';

let api: TestApi;
let owner: ApiClient;
let workspaceId: string;
let channelId: string;
let phoneSeq = 0;

function newPhone(): string {
  phoneSeq += 1;
  return `+1555${String(2_000_000 + phoneSeq).padStart(7, '0')}`;
}

async function say(from: string, text: string): Promise<{ conversationId: string; messageId: string; contactId: string }> {
  const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text, name: 'Sam' });
  expect(res.status).toBe(202);
  return res.body;
}

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

async function outboundTexts(conversationId: string): Promise<string[]> {
  return (
    await sql<{ text: string }>(
      `select text from messages where conversation_id = :conversationId and direction = 'outbound' order by id`,
      { conversationId },
    )
  ).map((r) => r.text);
}

async function waitForOutbound(conversationId: string, count: number): Promise<string[]> {
  return eventually(async () => {
    const texts = await outboundTexts(conversationId);
    return texts.length >= count ? texts : undefined;
  });
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'engine@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Engine',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
  await publishFlow(
    api,
    workspaceId,
    doc(
      [keywordTrigger('t', ['hi']), node('send', 'send_message', { text: 'Hello {{contact.name | "there"}}' })],
      [edge('t', 'out', 'send')],
    ),
    'greeting',
  );
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('t', ['survey']),
        node('ask', 'wait_for_reply', { timeout: { amount: 1, unit: 'hours' }, saveReplyAs: 'answer' }),
        node('thanks', 'send_message', { text: 'You said {{vars.answer}}' }),
      ],
      [edge('t', 'out', 'ask'), edge('ask', 'reply', 'thanks')],
    ),
    'survey',
  );
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('t', ['later']),
        node('wait', 'delay', { mode: 'duration', duration: { amount: 1, unit: 'seconds' } }),
        node('send', 'send_message', { text: 'one second later' }),
      ],
      [edge('t', 'out', 'wait'), edge('wait', 'out', 'send')],
    ),
    'delay',
  );
  await publishFlow(
    api,
    workspaceId,
    doc(
      [keywordTrigger('t', ['echo'], 'starts_with'), node('send', 'send_message', { text: '{{message.text}}' })],
      [edge('t', 'out', 'send')],
    ),
    'echo',
  );
  // Writes the conversation (the reply's outbox row) and then the contact: the order that once deadlocked with the inbound store.
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('t', ['count me'], 'starts_with'),
        node('send', 'send_message', { text: 'counted' }),
        node('mark', 'set_contact_attribute', { key: 'counted', value: '{{message.text}}' }),
      ],
      [edge('t', 'out', 'send'), edge('send', 'out', 'mark')],
    ),
    'reply-then-mark',
  );
});

afterAll(async () => {
  await api?.close();
});

describe('when a message matches a published keyword trigger', () => {
  it('starts a run that replies with the rendered template, and records its steps', async () => {
    const { conversationId } = await say(newPhone(), 'hi');
    expect(await waitForOutbound(conversationId, 1)).toEqual(['Hello Sam']);
    const [run] = await sql(`select id, status, step_count from runs where conversation_id = :conversationId`, { conversationId });
    expect(run).toMatchObject({ status: 'completed', step_count: 2 });
    const steps = await sql(`select node_id, port from run_steps where run_id = :id order by seq`, { id: run.id });
    expect(steps).toEqual([
      { node_id: 't', port: 'out' },
      { node_id: 'send', port: 'out' },
    ]);
  });

  it('starts nothing for a message that matches no trigger', async () => {
    const { conversationId, messageId } = await say(newPhone(), 'nothing to see');
    await eventually(async () =>
      (await sql(`select handled_at from messages where id = :messageId`, { messageId }))[0].handled_at ? true : undefined,
    );
    expect(await sql(`select id from runs where conversation_id = :conversationId`, { conversationId })).toEqual([]);
  });
});

describe('when the conversation has a pending wait-for-reply', () => {
  it('resumes the waiting run instead of starting a new one', async () => {
    const phone = newPhone();
    const { conversationId } = await say(phone, 'survey');
    await eventually(async () =>
      (await sql(`select status from runs where conversation_id = :conversationId`, { conversationId }))[0]?.status === 'waiting'
        ? true
        : undefined,
    );
    // "hi" would start the greeting flow, but the waiting run gets it.
    await say(phone, 'hi');
    expect(await waitForOutbound(conversationId, 1)).toEqual(['You said hi']);
    const runs = await sql(`select status from runs where conversation_id = :conversationId`, { conversationId });
    expect(runs).toEqual([{ status: 'completed' }]);
  });
});

describe('when a run reaches a delay', () => {
  it('fires the delayed job within a second of its due time', async () => {
    const { conversationId } = await say(newPhone(), 'later');
    const [run] = await eventually(async () => {
      const rows = await sql(`select id, due_at from runs where conversation_id = :conversationId and status = 'waiting'`, {
        conversationId,
      });
      return rows.length ? rows : undefined;
    });
    const dueAt = new Date(run.due_at).getTime();
    expect(await waitForOutbound(conversationId, 1)).toEqual(['one second later']);
    const [resumed] = await sql(`select finished_at from run_steps where run_id = :id and node_id = 'wait' order by seq desc limit 1`, {
      id: run.id,
    });
    const lateMs = new Date(resumed.finished_at).getTime() - dueAt;
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1_000);
  });
});

describe('when a contact writes STOP', () => {
  it('opts the contact out, and later messages start no run', async () => {
    const phone = newPhone();
    const { conversationId, contactId } = await say(phone, 'STOP');
    await eventually(async () =>
      (await sql(`select opted_out_at from contacts where id = :contactId`, { contactId }))[0].opted_out_at ? true : undefined,
    );
    const { messageId } = await say(phone, 'hi');
    await eventually(async () =>
      (await sql(`select handled_at from messages where id = :messageId`, { messageId }))[0].handled_at ? true : undefined,
    );
    expect(await sql(`select id from runs where conversation_id = :conversationId`, { conversationId })).toEqual([]);
    expect(await outboundTexts(conversationId)).toEqual([]);
  });
});

describe('when one contact starts runs too fast', () => {
  it('stops the 31st run of the minute with a visible reason', async () => {
    const phone = newPhone();
    let conversationId = '';
    for (let i = 0; i < 31; i++) conversationId = (await say(phone, `echo ${i}`)).conversationId;
    const runs = await eventually(async () => {
      const rows = await sql<{ status: string; stop_reason: string | null }>(
        `select status, stop_reason from runs where conversation_id = :conversationId order by id`,
        { conversationId },
      );
      return rows.length === 31 ? rows : undefined;
    });
    expect(runs.filter((r) => r.status === 'completed')).toHaveLength(30);
    expect(runs[30]!.status).toBe('stopped');
    expect(runs[30]!.stop_reason).toMatch(/^run_limit: 30 runs/);
  });
});

describe('when many messages arrive for many conversations at once', () => {
  it('replies to each conversation in arrival order', async () => {
    const phones = Array.from({ length: 20 }, () => newPhone());
    const conversations = new Map<string, string>();
    await Promise.all(
      phones.map(async (phone) => {
        for (let i = 0; i < 10; i++) conversations.set(phone, (await say(phone, `echo ${i}`)).conversationId);
      }),
    );
    for (const conversationId of conversations.values()) {
      expect(await waitForOutbound(conversationId, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `echo ${i}`));
    }
    // 200 messages through the HTTP API: about 8 s alone, several times that beside the whole suite on 2 cores.
  }, 90_000);
});

describe('when a contact keeps writing while its runs update it (regression: deadlock between the inbound store and a run)', () => {
  it('accepts every message and runs each one, without a deadlock', async () => {
    // Messages keep arriving while earlier ones run: two sender loops per contact, four contacts.
    const CONTACTS = 4;
    const LOOPS_PER_CONTACT = 2;
    const MESSAGES_PER_LOOP = 12; // 24 runs per contact: under the limit of 30 a minute
    const phones = Array.from({ length: CONTACTS }, () => newPhone());
    const statuses: number[] = [];
    const conversations = new Set<string>();
    await Promise.all(
      phones.flatMap((phone) =>
        Array.from({ length: LOOPS_PER_CONTACT }, async (_, loop) => {
          for (let i = 0; i < MESSAGES_PER_LOOP; i++) {
            const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, {
              from: phone,
              text: `count me ${loop}-${i}`,
              name: 'Sam',
            });
            statuses.push(res.status);
            if (res.status === 202) conversations.add(res.body.conversationId as string);
          }
        }),
      ),
    );
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    expect(conversations.size).toBe(CONTACTS);
    const perConversation = LOOPS_PER_CONTACT * MESSAGES_PER_LOOP;
    for (const conversationId of conversations) {
      expect(await waitForOutbound(conversationId, perConversation)).toEqual(Array.from({ length: perConversation }, () => 'counted'));
      const runs = await sql(`select status, count(*)::int as n from runs where conversation_id = :conversationId group by status`, {
        conversationId,
      });
      expect(runs).toEqual([{ status: 'completed', n: perConversation }]);
    }
  }, 90_000);
});

describe('when a step starts another flow', () => {
  it('runs the active version of that flow for the same contact and conversation, after a consent change in the first', async () => {
    const started = await publishFlow(
      api,
      workspaceId,
      doc(
        [keywordTrigger('t', ['never said']), node('send', 'send_message', { text: 'from the started flow' })],
        [edge('t', 'out', 'send')],
      ),
      'started',
    );
    // The opt-in clears what the run knew of the contact's reachability: the started flow's send is checked by the outbox.
    const starter = await publishFlow(
      api,
      workspaceId,
      doc(
        [keywordTrigger('t', ['relay']), node('in', 'opt_in'), node('go', 'start_flow', { flowId: started.flowId })],
        [edge('t', 'out', 'in'), edge('in', 'out', 'go')],
      ),
      'starter',
    );
    const { conversationId, contactId } = await say(newPhone(), 'relay');
    expect(await waitForOutbound(conversationId, 1)).toEqual(['from the started flow']);
    const runs = await sql<{ id: string; flow_id: string; contact_id: string; status: string; trigger: Record<string, unknown> }>(
      `select id, flow_id, contact_id, status, trigger from runs where conversation_id = :conversationId`,
      { conversationId },
    );
    expect(runs).toHaveLength(2);
    const first = runs.find((r) => r.flow_id === starter.flowId)!;
    const second = runs.find((r) => r.flow_id === started.flowId);
    expect(second).toMatchObject({ contact_id: contactId, status: 'completed', trigger: { startedBy: first.id } });
    const [startStep] = await sql(`select output from run_steps where run_id = :id and node_id = 'go'`, { id: first.id });
    expect(startStep.output.effects).toEqual([{ kind: 'start_flow', applied: true }]);
  });
});

describe('when a flow is deactivated or a new one published', () => {
  it('takes effect for the very next message', async () => {
    const phone = newPhone();
    const { flowId } = await publishFlow(
      api,
      workspaceId,
      doc([keywordTrigger('t', ['toggle']), node('send', 'send_message', { text: 'on' })], [edge('t', 'out', 'send')]),
      'toggle',
    );
    const first = await say(phone, 'toggle');
    expect(await waitForOutbound(first.conversationId, 1)).toEqual(['on']);
    await sql(`update flows set active = false where id = :flowId`, { flowId });
    await api.process.engine.flowsChanged(workspaceId);
    const { messageId } = await say(phone, 'toggle');
    await eventually(async () =>
      (await sql(`select handled_at from messages where id = :messageId`, { messageId }))[0].handled_at ? true : undefined,
    );
    expect(await outboundTexts(first.conversationId)).toEqual(['on']);
  });
});

describe('when the drain signal of a message is lost (the accepting process died, or Redis lost its jobs)', () => {
  it('the reconciler enqueues a drain job for the unhandled message, and it is handled once', async () => {
    // A pipeline with no listener stores the message and asks for no drain, here or by a job.
    const bare = new InboundPipeline({ orm: api.env.orm, logger: pino({ level: 'silent' }), clock: systemClock });
    const { conversationId, messageId } = await bare.accept({
      channelId,
      providerMessageId: newId(),
      from: { phone: newPhone(), name: 'Sam' },
      type: 'text',
      text: 'hi',
    });
    await runSql(api.env.orm.em.fork(), `update messages set created_at = now() - interval '1 minute' where id = :messageId`, {
      messageId,
    });
    // The flows existed before the message arrived (a message never starts a flow published after it).
    await runSql(
      api.env.orm.em.fork(),
      `update flow_versions set created_at = created_at - interval '1 hour' where workspace_id = :workspaceId`,
      { workspaceId },
    );
    await api.process.engine.flowsChanged(workspaceId);
    expect(await outboundTexts(conversationId)).toEqual([]);
    const resent = await api.process.engine.reconciler.runOnce();
    expect(resent.drains).toBeGreaterThanOrEqual(1);
    expect(await waitForOutbound(conversationId, 1)).toEqual(['Hello Sam']);
    // A second pass enqueues nothing more: once every job it could have enqueued is done, one reply.
    await api.process.engine.reconciler.runOnce();
    await queuesIdle(api.env.redis, api.env.config.redisPrefix);
    expect(await outboundTexts(conversationId)).toEqual(['Hello Sam']);
  });
});
