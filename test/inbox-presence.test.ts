import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../engine/clock.ts';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { InboxReconciler } from '../platform/inbox/inbox-reconciler.ts';
import { createLogger } from '../platform/logger.ts';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { openEventStream, type OpenStream } from './support/event-stream.ts';
import { inviteMember, type InvitedMember } from './support/invite-member.ts';
import { publishFlow } from './support/publish-flow.ts';
import { queuesIdle } from './support/queues-idle.ts';

/*
 * Presence and live updates, with a grace period of 1 s (INBOX_PRESENCE_GRACE_SECONDS): an agent
 * counts as present while their inbox's stream is open, and as offline once it has been gone for
 * the grace period, when their conversations return to the queue.
 */

let api: TestApi;
let owner: ApiClient;
let channelId: string;
let ana: InvitedMember;
let ben: InvitedMember;
let teamId: string;
let phoneSeq = 0;
const GRACE_MS = 1_000;

async function handOff(): Promise<string> {
  phoneSeq += 1;
  const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, {
    from: `+1555200${String(phoneSeq).padStart(4, '0')}`,
    text: 'help',
    name: `Person ${phoneSeq}`,
  });
  const id = res.body.conversationId as string;
  await eventually(async () => ((await owner.get(`/api/v1/conversations/${id}`)).body.state === 'queued' ? true : undefined));
  return id;
}

async function stateOf(id: string): Promise<{ state: string; assigneeUserId: string | null }> {
  return (await owner.get(`/api/v1/conversations/${id}`)).body;
}

async function reasons(id: string): Promise<string[]> {
  const { rows } = await testSql<{ reason: string }>(
    api.env.orm.em.fork(),
    `select reason from conversation_events where conversation_id = :id order by seq`,
    { id },
  );
  return rows.map((r) => r.reason);
}

/** When the agent's inbox was last seen (ms). */
async function lastSeenAt(userId: string): Promise<number> {
  const { rows } = await testSql<{ lastSeenAt: Date }>(
    api.env.orm.em.fork(),
    `select last_seen_at as "lastSeenAt" from agent_status where user_id = :userId`,
    { userId },
  );
  return rows[0]!.lastSeenAt.getTime();
}

beforeAll(async () => {
  api = await startTestApi({ INBOX_PRESENCE_GRACE_SECONDS: String(GRACE_MS / 1_000) });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'owner@presence.test',
    password: 'password-owner-1',
    name: 'Owner',
    workspaceName: 'Presence',
  });
  owner = api.client.as(signup.body.token);
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' })).body.id;
  ana = await inviteMember(owner, { email: 'ana@presence.test', role: 'agent', name: 'Ana', password: 'password-ana-1' });
  ben = await inviteMember(owner, { email: 'ben@presence.test', role: 'agent', name: 'Ben', password: 'password-ben-1' });
  teamId = (
    await owner.post('/api/v1/teams', {
      name: 'Support',
      strategy: 'round_robin',
      defaultCapacity: 1,
      isDefault: true,
      members: [{ userId: ana.userId }, { userId: ben.userId }],
    })
  ).body.id;
  await publishFlow(
    api,
    signup.body.workspace.id,
    doc([keywordTrigger('help', ['help']), node('handoff', 'hand_off', {})], [edge('help', 'out', 'handoff')]),
  );
}, 120_000);

afterAll(async () => {
  await api?.close();
});

describe('when agents come online, disconnect and lapse', () => {
  let stream: OpenStream;
  const ids: string[] = [];

  it('gives the longest waiting conversation to an agent who comes online, and tells their stream live', async () => {
    for (let i = 0; i < 3; i++) ids.push(await handOff());
    stream = await openEventStream(api.client.baseUrl, '/api/v1/inbox/events', ana.token);
    await eventually(async () => (stream.text().includes('event: ready') ? true : undefined));
    const started = Date.now();
    await ana.client.put('/api/v1/me/availability', { availability: 'online' });
    await eventually(async () => ((await stateOf(ids[0]!)).assigneeUserId === ana.userId ? true : undefined), 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await stateOf(ids[1]!)).state).toBe('queued');
    const assigned = await eventually(async () =>
      stream.events().find((e) => e.event === 'conversation' && e.data.conversationId === ids[0] && e.data.toState === 'assigned'),
    );
    expect(assigned.data).toMatchObject({ toAssigneeUserId: ana.userId, teamId });
    // The contact writes again: the agent's stream hears of the new message.
    const { rows } = await testSql<{ phone: string }>(
      api.env.orm.em.fork(),
      `select c.phone from conversations conv join contacts c on c.id = conv.contact_id where conv.id = :id`,
      { id: ids[0] },
    );
    const msg = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: rows[0]!.phone, text: 'still there?' });
    await eventually(async () => stream.events().find((e) => e.event === 'message' && e.data.messageId === msg.body.messageId));
  });

  it('requeues the conversations of an agent whose presence lapsed, and gives them to the next agent with room, oldest first', async () => {
    // Ben is online with no inbox open: present for the grace period only.
    await ben.client.put('/api/v1/me/availability', { availability: 'online' });
    await eventually(async () => ((await stateOf(ids[1]!)).assigneeUserId === ben.userId ? true : undefined), 1_000);
    await eventually(async () => ((await stateOf(ids[1]!)).state === 'queued' ? true : undefined), 5_000);
    expect(await reasons(ids[1]!)).toContain('its agent disconnected longer than the grace period');
    // Ana is full (capacity 1); when she resolves, the oldest waiting one (not the newest) is hers within 1 s.
    const started = Date.now();
    await ana.client.post(`/api/v1/conversations/${ids[0]}/resolve`);
    await eventually(async () => ((await stateOf(ids[1]!)).assigneeUserId === ana.userId ? true : undefined), 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await stateOf(ids[2]!)).state).toBe('queued');
    // Ben lapsed: nothing new for him.
    expect((await ben.client.get('/api/v1/me/availability')).body).toMatchObject({ availability: 'online', connected: false, load: 0 });
  });

  it('keeps an agent with an open inbox present past the grace period, and lapses them once it closes', async () => {
    // A grace period passes with her inbox open: its heartbeats keep Ana seen...
    const from = Date.now();
    await eventually(async () => ((await lastSeenAt(ana.userId)) >= from + GRACE_MS ? true : undefined), {
      timeoutMs: 5_000,
      what: `Ana seen again a grace period (${GRACE_MS} ms) later`,
    });
    // ...so the pass that requeues lapsed agents, run now, and the timers due by now leave her conversation hers.
    await new InboxReconciler({ orm: api.env.orm, inbox: api.process.inbox, clock: systemClock, logger: createLogger('silent') }).runOnce();
    await queuesIdle(api.env.redis, api.env.config.redisPrefix);
    expect(await stateOf(ids[1]!)).toMatchObject({ state: 'assigned', assigneeUserId: ana.userId });
    await stream.close();
    await eventually(async () => ((await stateOf(ids[1]!)).state === 'queued' ? true : undefined), 6_000);
    expect((await reasons(ids[1]!)).at(-1)).toBe('its agent disconnected longer than the grace period');
    // Nobody is present: both wait, oldest first, until someone opens their inbox.
    expect((await stateOf(ids[2]!)).state).toBe('queued');
    const back = await openEventStream(api.client.baseUrl, '/api/v1/inbox/events', ana.token);
    await eventually(async () => ((await stateOf(ids[1]!)).assigneeUserId === ana.userId ? true : undefined), 2_000);
    await back.close();
  });
});
