import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../engine/clock.ts';
import { doc, edge, node } from '../engine/flows/flow-document.fixture.ts';
import { newId } from '../platform/ids.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { testSql } from './support/test-sql.ts';
import { seedDemo } from '../platform/seed/seed-demo.ts';
import { eventually } from './support/eventually.ts';
import { queuesIdle } from './support/queues-idle.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { publishFlow } from './support/publish-flow.ts';

// Messages that arrived while no flow matched are never replayed into flows published later:
// neither a message handled with no match, nor one handled late (no worker was running when it
// arrived), nor the demo's seeded history (regression: the first catch-all flow published in the
// demo workspace answered sample chats "received" up to an hour before).

let api: TestApi;
let owner: ApiClient;
let workspaceId: string;
let channelId: string;
let seq = 0;

const catchAll = () =>
  doc(
    [node('t', 'message_received', { match: { kind: 'any' } }), node('send', 'send_message', { text: 'caught {{message.text}}' })],
    [edge('t', 'out', 'send')],
  );

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

function newPhone(): string {
  seq += 1;
  return `+1555${String(5_200_000 + seq).padStart(7, '0')}`;
}

async function handled(messageId: string): Promise<void> {
  await eventually(async () =>
    (await sql(`select handled_at from messages where id = :messageId`, { messageId }))[0]?.handled_at ? true : undefined,
  );
}

async function settle(): Promise<void> {
  // A reconciler pass, then every job it or anything before it enqueued is done: a wrongly started run has written its reply.
  await api.process.engine.reconciler.runOnce();
  await queuesIdle(api.env.redis, api.env.config.redisPrefix);
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'unmatched@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Unmatched',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
});

afterAll(async () => {
  await api?.close();
});

describe('a message that matched no flow when it arrived', () => {
  it('is handled at once and never answered by a flow published later; the next message is', async () => {
    const phone = newPhone();
    const first = (await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: phone, text: 'anyone there?' })).body;
    await handled(first.messageId);
    const { flowId } = await publishFlow(api, workspaceId, catchAll(), 'catch-all');
    await settle();
    expect(await sql(`select id from runs where conversation_id = :c`, { c: first.conversationId })).toEqual([]);
    await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: phone, text: 'hello?' });
    await eventually(async () =>
      (await sql(`select text from messages where conversation_id = :c and direction = 'outbound'`, { c: first.conversationId })).length
        ? true
        : undefined,
    );
    expect(
      (await sql(`select text from messages where conversation_id = :c and direction = 'outbound'`, { c: first.conversationId })).map(
        (r) => r.text,
      ),
    ).toEqual(['caught hello?']);
    await sql(`update flows set active = false where id = :flowId`, { flowId });
    await api.process.engine.flowsChanged(workspaceId);
  });
});

describe('a message accepted while no worker handled it, then a flow published, then the worker back', () => {
  it('is handled without starting the flow published after it arrived', async () => {
    // A pipeline with no listener stores the message and asks for no drain (its worker was down).
    const bare = new InboundPipeline({ orm: api.env.orm, logger: pino({ level: 'silent' }), clock: systemClock });
    const { conversationId, messageId } = await bare.accept({
      channelId,
      providerMessageId: newId(),
      from: { phone: newPhone(), name: 'Sam' },
      type: 'text',
      text: 'sent while down',
    });
    await sql(`update messages set created_at = now() - interval '1 minute' where id = :messageId`, { messageId });
    const { flowId } = await publishFlow(api, workspaceId, catchAll(), 'catch-all 2');
    expect((await api.process.engine.reconciler.runOnce()).drains).toBeGreaterThanOrEqual(1);
    await handled(messageId);
    await settle();
    expect(await sql(`select id from runs where conversation_id = :c`, { c: conversationId })).toEqual([]);
    // Republishing keeps the flow's first publication: an older flow still gets late messages.
    const late = await bare.accept({
      channelId,
      providerMessageId: newId(),
      from: { phone: newPhone(), name: 'Sam' },
      type: 'text',
      text: 'late but after',
    });
    await sql(`update messages set created_at = now() - interval '6 seconds' where id = :id`, { id: late.messageId });
    await sql(`update flow_versions set created_at = created_at - interval '1 hour' where flow_id = :flowId`, { flowId });
    await api.process.engine.flowsChanged(workspaceId);
    await api.process.engine.reconciler.runOnce();
    await eventually(async () =>
      (await sql(`select id from runs where conversation_id = :c`, { c: late.conversationId })).length ? true : undefined,
    );
    await sql(`update flows set active = false where id = :flowId`, { flowId });
    await api.process.engine.flowsChanged(workspaceId);
  });
});

describe('the demo seed', () => {
  it('stores its sample history handled: a catch-all flow published afterwards answers none of it', async () => {
    const { workspaceId: demoId } = await seedDemo(api.env.orm, {
      email: 'demo@onemessage.local',
      password: 'onemessage-demo',
      clock: systemClock,
    });
    expect(
      await sql(`select count(*)::int as n from messages where workspace_id = :demoId and direction = 'inbound' and handled_at is null`, {
        demoId,
      }),
    ).toEqual([{ n: 0 }]);
    const inboundBefore = await sql(`select count(*)::int as n from messages where workspace_id = :demoId and direction = 'inbound'`, {
      demoId,
    });
    expect(inboundBefore[0].n).toBeGreaterThan(0);
    await sql(`update messages set created_at = now() - interval '1 minute' where workspace_id = :demoId`, { demoId });
    await publishFlow(api, demoId, catchAll(), 'demo catch-all');
    await settle();
    expect(await sql(`select count(*)::int as n from runs where workspace_id = :demoId`, { demoId })).toEqual([{ n: 0 }]);
  });
});
