import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalMediaStore } from '../connectors/whatsapp/media-store.ts';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { systemClock } from '../engine/clock.ts';
import { InboxReconciler } from '../platform/inbox/inbox-reconciler.ts';
import { INBOX_TIMER_QUEUE } from '../platform/inbox/inbox-timers.ts';
import { createLogger } from '../platform/logger.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { queuesIdle } from './support/queues-idle.ts';
import { inviteMember, type InvitedMember } from './support/invite-member.ts';
import { publishFlow } from './support/publish-flow.ts';

let api: TestApi;
let owner: ApiClient;
let workspaceId: string;
let channelId: string;
let ana: InvitedMember;
let ben: InvitedMember;
let cleo: InvitedMember;
let phoneSeq = 0;
let dataDir: string;

/** A contact writes to the sandbox channel; answers the ids. */
async function write(
  text: string,
  from = nextPhone(),
  name = 'Contact',
): Promise<{ conversationId: string; contactId: string; from: string }> {
  const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text, name });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { conversationId: res.body.conversationId, contactId: res.body.contactId, from };
}

function nextPhone(): string {
  phoneSeq += 1;
  return `+1555100${String(phoneSeq).padStart(4, '0')}`;
}

async function conversation(id: string, as: ApiClient = owner): Promise<any> {
  const res = await as.get(`/api/v1/conversations/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Waits until the conversation is in `state` (and owned by `assignee` when given). */
async function until(id: string, state: string, assignee?: string | null, timeoutMs = 5_000): Promise<any> {
  return eventually(async () => {
    const c = await conversation(id);
    return c.state === state && (assignee === undefined || c.assigneeUserId === assignee) ? c : undefined;
  }, timeoutMs);
}

async function createTeam(body: Record<string, unknown>): Promise<any> {
  const res = await owner.post('/api/v1/teams', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A routing rule, first in order, that sends the messages containing `word` to the team. */
async function routeToTeam(word: string, teamId: string): Promise<void> {
  const res = await owner.post('/api/v1/routing-rules', {
    name: word,
    condition: { in: [word, { var: 'message.text' }] },
    teamId,
    position: 0,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** One pass of the inbox reconciler, now. */
async function reconcileInbox(): Promise<void> {
  await new InboxReconciler({ orm: api.env.orm, inbox: api.process.inbox, clock: systemClock, logger: createLogger('silent') }).runOnce();
}

async function events(conversationId: string): Promise<any[]> {
  const { rows } = await runSql(
    api.env.orm.em.fork(),
    `select from_state as "from", to_state as "to", reason, actor_kind as "actorKind", to_assignee_user_id as "to_assignee" from conversation_events where conversation_id = :id order by seq`,
    { id: conversationId },
  );
  return rows;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'om-inbox-'));
  api = await startTestApi({ ONEMESSAGE_DATA_DIR: dataDir });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'owner@inbox.test',
    password: 'password-owner-1',
    name: 'Owner',
    workspaceName: 'Support Co',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' })).body.id;
  ana = await inviteMember(owner, { email: 'ana@inbox.test', role: 'agent', name: 'Ana', password: 'password-ana-1' });
  ben = await inviteMember(owner, { email: 'ben@inbox.test', role: 'agent', name: 'Ben', password: 'password-ben-1' });
  cleo = await inviteMember(owner, { email: 'cleo@inbox.test', role: 'agent', name: 'Cleo', password: 'password-cleo-1' });
  // "help…" hands off with a note; "invoice…" hands off with no team (routing rules decide); "hi" is answered by the bot.
  await publishFlow(
    api,
    workspaceId,
    doc(
      [
        keywordTrigger('help', ['help'], 'starts_with'),
        node('handoff', 'hand_off', { note: 'wants a human' }),
        keywordTrigger('hi', ['hi']),
        node('reply', 'send_message', { text: 'Hello from the bot' }),
      ],
      [edge('help', 'out', 'handoff'), edge('hi', 'out', 'reply')],
    ),
  );
}, 120_000);

afterAll(async () => {
  await api?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('when a flow hands a conversation off to the default team', () => {
  let team: any;
  let convId: string;
  let contactPhone: string;

  beforeAll(async () => {
    team = await createTeam({
      name: 'Support',
      strategy: 'manual',
      isDefault: true,
      members: [{ userId: ana.userId }, { userId: ben.userId }],
    });
    for (const agent of [ana, ben, cleo])
      expect((await agent.client.put('/api/v1/me/availability', { availability: 'online' })).status).toBe(200);
  });

  it('queues it for the team with the note, pauses the bot and records the event', async () => {
    const written = await write('help me please');
    convId = written.conversationId;
    contactPhone = written.from;
    const c = await until(convId, 'queued');
    expect(c).toMatchObject({ teamId: team.id, status: 'pending', botPaused: true, assigneeUserId: null, handoffNote: 'wants a human' });
    expect(c.queuedAt).not.toBeNull();
    const ev = await events(convId);
    expect(ev).toEqual([
      expect.objectContaining({ from: 'bot', to: 'queued', actorKind: 'flow', reason: 'handed off by a flow: wants a human' }),
    ]);
  });

  it('lists it in the team queue and finds it by the contact phone or message text', async () => {
    const queued = await ana.client.get(`/api/v1/conversations?state=queued&assignee=none&teamId=${team.id}`);
    expect(queued.body.items.map((i: any) => i.id)).toContain(convId);
    expect(
      (await ana.client.get(`/api/v1/conversations?q=${encodeURIComponent(contactPhone.slice(-4))}`)).body.items.map((i: any) => i.id),
    ).toEqual([convId]);
    expect((await ana.client.get('/api/v1/conversations?q=ME%20PLEASE')).body.items.map((i: any) => i.id)).toEqual([convId]);
    expect((await ana.client.get('/api/v1/conversations?q=nothing-like-this')).body.items).toEqual([]);
  });

  it('lets one agent take it and answers 409 to the second', async () => {
    const taken = await ana.client.post(`/api/v1/conversations/${convId}/take`);
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    expect(taken.body).toMatchObject({ state: 'assigned', assigneeUserId: ana.userId, status: 'open', botPaused: true });
    const again = await ben.client.post(`/api/v1/conversations/${convId}/take`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect((await ana.client.get('/api/v1/conversations?assignee=me')).body.items.map((i: any) => i.id)).toEqual([convId]);
  });

  it('sends the agent reply through the outbox marked as sent by that agent', async () => {
    const sent = await ana.client.post(`/api/v1/conversations/${convId}/messages`, { text: 'Hi, Ana here', clientMessageId: 'r1' });
    expect(sent.status).toBe(202);
    const message = await eventually(async () => {
      const { rows } = await testSql<{ sender: string; authorUserId: string; status: string }>(
        api.env.orm.em.fork(),
        `select sender, author_user_id as "authorUserId", status from messages where id = :id`,
        { id: sent.body.messageId },
      );
      return rows[0]?.status === 'sent' ? rows[0] : undefined;
    });
    expect(message).toMatchObject({ sender: 'agent', authorUserId: ana.userId });
  });

  it('keeps internal notes out of the messages and shows everything in the timeline in order', async () => {
    const note = await ana.client.post(`/api/v1/conversations/${convId}/notes`, { text: 'Asked about the refund' });
    expect(note.status).toBe(201);
    const messages = await ana.client.get(`/api/v1/conversations/${convId}/messages`);
    expect(messages.body.items.map((m: any) => m.text)).not.toContain('Asked about the refund');
    const timeline = await ana.client.get(`/api/v1/conversations/${convId}/timeline`);
    expect(timeline.status, JSON.stringify(timeline.body)).toBe(200);
    const kinds = timeline.body.items.map((i: any) =>
      i.kind === 'event' ? `event:${i.toState}` : i.kind === 'message' ? `message:${i.sender}` : i.kind,
    );
    expect(kinds).toEqual(['message:contact', 'run', 'event:queued', 'event:assigned', 'message:agent', 'note']);
    const ats = timeline.body.items.map((i: any) => Date.parse(i.at));
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
  });

  it("resolves, and the bot answers the contact's next message in a fresh conversation", async () => {
    const resolved = await ana.client.post(`/api/v1/conversations/${convId}/resolve`);
    expect(resolved.body).toMatchObject({ state: 'resolved', status: 'resolved', botPaused: false });
    const next = await write('hi', contactPhone);
    expect(next.conversationId).not.toBe(convId);
    await eventually(async () => {
      const { rows } = await testSql<{ text: string }>(
        api.env.orm.em.fork(),
        `select text from messages where conversation_id = :id and sender = 'bot'`,
        { id: next.conversationId },
      );
      return rows[0]?.text === 'Hello from the bot' ? true : undefined;
    });
    expect((await conversation(next.conversationId)).state).toBe('bot');
    const reopened = await ana.client.post(`/api/v1/conversations/${convId}/reopen`);
    expect(reopened.status).toBe(409);
  });

  it("hides the team's conversations from an agent outside the team", async () => {
    const other = await write('help, again');
    await until(other.conversationId, 'queued');
    expect((await cleo.client.get(`/api/v1/conversations/${other.conversationId}`)).status).toBe(404);
    expect((await cleo.client.post(`/api/v1/conversations/${other.conversationId}/take`)).status).toBe(404);
    expect((await cleo.client.get('/api/v1/conversations?state=queued')).body.items.map((i: any) => i.id)).not.toContain(
      other.conversationId,
    );
    expect((await owner.get('/api/v1/conversations?state=queued')).body.items.map((i: any) => i.id)).toContain(other.conversationId);
    await owner.post(`/api/v1/conversations/${other.conversationId}/resolve`);
  });

  afterAll(async () => {
    await owner.patch(`/api/v1/teams/${team.id}`, { isDefault: false });
  });
});

describe('what an agent sees of the conversations of their team', () => {
  let team: any;
  beforeAll(async () => {
    team = await createTeam({ name: 'Readers', strategy: 'manual', members: [{ userId: ana.userId }] });
    await routeToTeam('read-case', team.id);
  });

  it('lists the contact, the last message and the messages they have not read, per person, which reading clears', async () => {
    const { conversationId: id, from } = await write('help read-case', nextPhone(), 'Grace Hopper');
    await until(id, 'queued');
    await write('is anyone there?', from, 'Grace Hopper');
    const itemOf = async (as: ApiClient) =>
      ((await as.get(`/api/v1/conversations?teamId=${team.id}&order=recent`)).body.items as any[]).find((i) => i.id === id);
    const item = await eventually(async () => ((await itemOf(ana.client))?.unreadCount === 2 ? itemOf(ana.client) : undefined));
    expect(item.contact).toEqual({ name: 'Grace Hopper', phone: from });
    expect(item.lastMessage).toMatchObject({
      excerpt: 'is anyone there?',
      direction: 'inbound',
      type: 'text',
      sender: 'contact',
      authorUserId: null,
    });
    const read = await ana.client.put(`/api/v1/conversations/${id}/read`, {});
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body).toMatchObject({ conversationId: id, unreadCount: 0 });
    expect((await itemOf(ana.client)).unreadCount).toBe(0);
    // Read markers are each person's own.
    expect((await itemOf(owner)).unreadCount).toBe(2);
    await write('hello?', from, 'Grace Hopper');
    await eventually(async () => ((await itemOf(ana.client))?.unreadCount === 1 ? true : undefined));
    expect((await ana.client.get(`/api/v1/conversations/${id}/read`)).body.unreadCount).toBe(1);
    // A position never moves back: marking an older message read keeps the newer position.
    const { rows } = await testSql<{ id: string }>(
      api.env.orm.em.fork(),
      `select id from messages where conversation_id = :id order by id limit 1`,
      { id },
    );
    await ana.client.put(`/api/v1/conversations/${id}/read`, {});
    expect((await ana.client.put(`/api/v1/conversations/${id}/read`, { messageId: rows[0]!.id })).body.unreadCount).toBe(0);
    await owner.post(`/api/v1/conversations/${id}/resolve`);
  });

  it('serves the queue longest waiting first', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push((await write(`help read-case queue ${n}`)).conversationId);
      await until(ids.at(-1)!, 'queued');
    }
    // A message from the first contact makes theirs the latest activity; the queue still serves them first.
    const { rows } = await testSql<{ phone: string }>(
      api.env.orm.em.fork(),
      `select c.phone from conversations conv join contacts c on c.id = conv.contact_id where conv.id = :id`,
      { id: ids[0] },
    );
    await write('still waiting', rows[0]!.phone);
    const queue = (await ana.client.get(`/api/v1/conversations?state=queued&teamId=${team.id}`)).body.items as any[];
    expect(queue.map((c) => c.id)).toEqual(ids);
    expect(queue.map((c) => Date.parse(c.queuedAt))).toEqual([...queue.map((c) => Date.parse(c.queuedAt))].sort((a, b) => a - b));
    await eventually(async () =>
      (await ana.client.get(`/api/v1/conversations?state=queued&teamId=${team.id}&order=recent`)).body.items[0]?.id === ids[0]
        ? true
        : undefined,
    );
    for (const id of ids) await owner.post(`/api/v1/conversations/${id}/resolve`);
  });

  it('shows reactions on their message and serves its photo only to those who may see the conversation', async () => {
    const { conversationId: id } = await write('help read-case photo');
    await until(id, 'queued');
    const em = api.env.orm.em.fork();
    const { rows } = await testSql<{ id: string; channelId: string }>(
      em,
      `select id, channel_id as "channelId" from messages where conversation_id = :id order by id limit 1`,
      { id },
    );
    const png = Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d605bb0000000049454e44ae426082',
      'hex',
    );
    const key = await new LocalMediaStore(join(dataDir, 'media')).put(rows[0]!.channelId, 'receipt.png', png);
    await runSql(
      em,
      `update messages set type = 'image', media = jsonb_build_object('storageKey', cast(:key as text), 'mimeType', 'image/png', 'fileName', 'receipt.png', 'caption', 'my receipt', 'sizeBytes', 70),
              metadata = jsonb_build_object('reactions', jsonb_build_object('me', jsonb_build_object('emoji', '👍', 'at', '2026-12-06T10:00:00.000Z'), '15550009999@s.whatsapp.net', jsonb_build_object('emoji', '❤️', 'at', '2026-12-06T10:01:00.000Z')))
        where id = :id`,
      { key, id: rows[0]!.id },
    );
    const timeline = (await ana.client.get(`/api/v1/conversations/${id}/timeline`)).body.items as any[];
    const photo = timeline.find((i) => i.kind === 'message' && i.id === rows[0]!.id);
    const url = `/api/v1/conversations/${id}/messages/${rows[0]!.id}/media`;
    expect(photo.media).toEqual({ mimeType: 'image/png', fileName: 'receipt.png', caption: 'my receipt', sizeBytes: 70, url });
    expect(photo.media).not.toHaveProperty('storageKey');
    expect(photo.reactions).toEqual(
      expect.arrayContaining([
        { emoji: '👍', fromUs: true, at: '2026-12-06T10:00:00.000Z' },
        { emoji: '❤️', fromUs: false, at: '2026-12-06T10:01:00.000Z' },
      ]),
    );
    expect(JSON.stringify(photo.reactions)).not.toContain('s.whatsapp.net');
    const res = await fetch(api.client.baseUrl + url, { headers: { authorization: `Bearer ${ana.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe('inline; filename="receipt.png"');
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    // Cleo is in no team of this conversation: to her it does not exist.
    expect((await cleo.client.get(url)).status).toBe(404);
    // A deleted message's file is not served any more.
    await runSql(em, `update messages set deleted_at = now() where id = :id`, { id: rows[0]!.id });
    expect((await ana.client.get(url)).status).toBe(404);
    await owner.post(`/api/v1/conversations/${id}/resolve`);
  });
});

describe('when routing rules are set', () => {
  it("sends a conversation whose hand-off names no team to the first matching rule's team", async () => {
    const billing = await createTeam({ name: 'Billing', strategy: 'manual' });
    const general = await createTeam({ name: 'General', strategy: 'manual', isDefault: true });
    const bad = await owner.post('/api/v1/routing-rules', { name: 'unsafe', condition: { eval: [] }, teamId: billing.id });
    expect(bad.status).toBe(400);
    const rule = await owner.post('/api/v1/routing-rules', {
      name: 'Invoices',
      condition: { in: ['invoice', { var: 'message.text' }] },
      teamId: billing.id,
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const invoice = await write('help with my invoice');
    const other = await write('help with my order');
    expect((await until(invoice.conversationId, 'queued')).teamId).toBe(billing.id);
    expect((await until(other.conversationId, 'queued')).teamId).toBe(general.id);
    await owner.delete(`/api/v1/routing-rules/${rule.body.id}`);
    for (const id of [invoice.conversationId, other.conversationId]) await owner.post(`/api/v1/conversations/${id}/resolve`);
    await owner.patch(`/api/v1/teams/${general.id}`, { isDefault: false });
  });
});

describe('canned responses', () => {
  it("fills {{contact.name}} for the conversation's contact", async () => {
    const created = await owner.post('/api/v1/canned-responses', {
      shortcut: 'hello',
      title: 'Greeting',
      text: 'Hi {{contact.name | "there"}}, how can I help?',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await ana.client.post('/api/v1/canned-responses', { shortcut: 'x', title: 'x', text: 'x' })).status).toBe(403);
    const c = await write('hello', nextPhone(), 'Dora');
    const rendered = await owner.post(`/api/v1/canned-responses/${created.body.id}/render`, { conversationId: c.conversationId });
    expect(rendered.body).toEqual({ text: 'Hi Dora, how can I help?', mediaUrl: null, language: null, template: null });
    expect((await ana.client.get('/api/v1/canned-responses?q=greet')).body.items.map((i: any) => i.shortcut)).toEqual(['hello']);
  });
});

describe('automatic assignment', () => {
  it('round robin gives each available agent one in turn, oldest first, and never more than their capacity', async () => {
    const team = await createTeam({
      name: 'RR',
      strategy: 'round_robin',
      defaultCapacity: 2,
      members: [{ userId: ana.userId }, { userId: ben.userId }],
    });
    await routeToTeam('rr-case', team.id);
    // One at a time: each new conversation goes to the agent whose turn is oldest.
    const ids: string[] = [];
    const owners: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = (await write(`help rr-case ${i}`)).conversationId;
      ids.push(id);
      owners.push((await until(id, 'assigned')).assigneeUserId);
    }
    expect(owners[0]).not.toBe(owners[1]);
    expect(owners[2]).toBe(owners[0]);
    expect(owners[3]).toBe(owners[1]);
    // Both are at capacity (2): the fifth waits.
    const waiting = (await write('help rr-case 4')).conversationId;
    ids.push(waiting);
    await until(waiting, 'queued');
    // Its drain job, then the assignment pass its hand-off kicked, are done: it still waits.
    await queuesIdle(api.env.redis, api.env.config.redisPrefix);
    await api.process.inbox.idle();
    expect((await conversation(waiting)).state).toBe('queued');
    // Capacity frees: the waiting one is assigned within a second, to the agent who freed it.
    const started = Date.now();
    await owner.post(`/api/v1/conversations/${ids[1]}/resolve`);
    await until(waiting, 'assigned', owners[1], 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    // The resolve itself handed the freed slot on, in the same statement (no assignment pass to wait for).
    const { rows: handover } = await testSql<{ gapMs: number; reason: string }>(
      api.env.orm.em.fork(),
      `select extract(epoch from a.created_at - r.created_at)::float8 * 1000 as "gapMs", a.reason from conversation_events r, conversation_events a
        where r.conversation_id = :resolved and r.to_state = 'resolved' and a.conversation_id = :waiting and a.to_state = 'assigned'`,
      { resolved: ids[1], waiting },
    );
    expect(handover[0]!.reason).toBe("assigned by the team's round robin (a slot freed)");
    expect(handover[0]!.gapMs).toBeGreaterThanOrEqual(0);
    expect(handover[0]!.gapMs).toBeLessThan(50);
    for (const id of [ids[0], ...ids.slice(2)]) await owner.post(`/api/v1/conversations/${id}/resolve`);
    await owner.patch(`/api/v1/teams/${team.id}`, { strategy: 'manual' });
  });

  it('least busy gives the next one to the agent with the fewest open conversations', async () => {
    const team = await createTeam({
      name: 'LB',
      strategy: 'manual',
      defaultCapacity: 5,
      members: [{ userId: ana.userId }, { userId: ben.userId }],
    });
    await routeToTeam('lb-case', team.id);
    // Ana already has two of this team's conversations (taken by hand).
    const first = [(await write('help lb-case a')).conversationId, (await write('help lb-case b')).conversationId];
    for (const id of first) {
      await until(id, 'queued');
      expect((await ana.client.post(`/api/v1/conversations/${id}/take`)).status).toBe(200);
    }
    await owner.patch(`/api/v1/teams/${team.id}`, { strategy: 'least_busy' });
    const next = [(await write('help lb-case c')).conversationId, (await write('help lb-case d')).conversationId];
    for (const id of next) await until(id, 'assigned', ben.userId);
    const third = (await write('help lb-case e')).conversationId;
    const c = await until(third, 'assigned');
    expect([ana.userId, ben.userId]).toContain(c.assigneeUserId);
    for (const id of [...first, ...next, third]) await owner.post(`/api/v1/conversations/${id}/resolve`);
    await owner.patch(`/api/v1/teams/${team.id}`, { strategy: 'manual' });
  });

  it("requeues an agent's conversations when they go offline and gives them to an available agent", async () => {
    const team = await createTeam({
      name: 'Off',
      strategy: 'round_robin',
      defaultCapacity: 3,
      members: [{ userId: ana.userId }, { userId: cleo.userId }],
    });
    await routeToTeam('off-case', team.id);
    await cleo.client.put('/api/v1/me/availability', { availability: 'away' });
    const id = (await write('help off-case')).conversationId;
    await until(id, 'assigned', ana.userId);
    await cleo.client.put('/api/v1/me/availability', { availability: 'online' });
    await ana.client.put('/api/v1/me/availability', { availability: 'offline' });
    await until(id, 'assigned', cleo.userId, 2_000);
    const ev = await events(id);
    expect(ev.map((e) => `${e.from}>${e.to}`)).toEqual(['bot>queued', 'queued>assigned', 'assigned>queued', 'queued>assigned']);
    expect(ev[2].reason).toBe('its agent went offline');
    // Offline agents get nothing new.
    const another = (await write('help off-case 2')).conversationId;
    await until(another, 'assigned', cleo.userId);
    for (const c of [id, another]) await owner.post(`/api/v1/conversations/${c}/resolve`);
    await ana.client.put('/api/v1/me/availability', { availability: 'online' });
    await owner.patch(`/api/v1/teams/${team.id}`, { strategy: 'manual' });
  });

  it('gives a returning contact back to their last agent only while that agent is available', async () => {
    const team = await createTeam({
      name: 'Sticky',
      strategy: 'round_robin',
      sticky: true,
      defaultCapacity: 5,
      members: [{ userId: ana.userId }, { userId: ben.userId }],
    });
    await routeToTeam('sticky-case', team.id);
    const phone = nextPhone();
    const first = (await write('help sticky-case', phone)).conversationId;
    const c1 = await until(first, 'assigned');
    const lastAgent = c1.assigneeUserId as string;
    const otherAgent = lastAgent === ana.userId ? ben : ana;
    const lastClient = lastAgent === ana.userId ? ana : ben;
    await owner.post(`/api/v1/conversations/${first}/resolve`);
    // Give the other agent a head start in the rotation: sticky must win over round robin.
    const second = (await write('help sticky-case again', phone)).conversationId;
    expect((await until(second, 'assigned')).assigneeUserId).toBe(lastAgent);
    await owner.post(`/api/v1/conversations/${second}/resolve`);
    await lastClient.client.put('/api/v1/me/availability', { availability: 'offline' });
    const third = (await write('help sticky-case once more', phone)).conversationId;
    expect((await until(third, 'assigned')).assigneeUserId).toBe(otherAgent.userId);
    await owner.post(`/api/v1/conversations/${third}/resolve`);
    await lastClient.client.put('/api/v1/me/availability', { availability: 'online' });
    await owner.patch(`/api/v1/teams/${team.id}`, { strategy: 'manual' });
  });
});

describe('supervisors, transfers and snoozes', () => {
  it('lets a supervisor assign and transfer, and refuses the same to an agent', async () => {
    const a = await createTeam({ name: 'Tier 1', strategy: 'manual', members: [{ userId: ana.userId }] });
    const b = await createTeam({ name: 'Tier 2', strategy: 'manual', members: [{ userId: ben.userId }] });
    await routeToTeam('tier-case', a.id);
    const id = (await write('help tier-case')).conversationId;
    await until(id, 'queued');
    expect((await ana.client.post(`/api/v1/conversations/${id}/assign`, { userId: ana.userId })).status).toBe(403);
    const notInTeam = await owner.post(`/api/v1/conversations/${id}/assign`, { userId: ben.userId });
    expect(notInTeam.status).toBe(409);
    expect((await owner.post(`/api/v1/conversations/${id}/assign`, { userId: ana.userId })).body).toMatchObject({
      state: 'assigned',
      assigneeUserId: ana.userId,
    });
    const moved = await ana.client.post(`/api/v1/conversations/${id}/transfer`, { teamId: b.id, note: 'needs tier 2' });
    expect(moved.body).toMatchObject({ state: 'queued', teamId: b.id, assigneeUserId: null });
    // Ana no longer sees it; Ben does.
    expect((await ana.client.get(`/api/v1/conversations/${id}`)).status).toBe(404);
    expect((await ben.client.post(`/api/v1/conversations/${id}/take`)).status).toBe(200);
    expect((await events(id)).map((e) => e.reason)).toContain("transferred to the team's queue: needs tier 2");
    await owner.post(`/api/v1/conversations/${id}/resolve`);
  });

  it('wakes a snoozed conversation at its time, back to its agent', async () => {
    const team = await createTeam({ name: 'Snooze', strategy: 'manual', members: [{ userId: ana.userId }] });
    await routeToTeam('snooze-case', team.id);
    const id = (await write('help snooze-case')).conversationId;
    await until(id, 'queued');
    await ana.client.post(`/api/v1/conversations/${id}/take`);
    const load = (await ana.client.get('/api/v1/me/availability')).body.load as number;
    const snoozed = await ana.client.post(`/api/v1/conversations/${id}/snooze`, { until: new Date(Date.now() + 1_500).toISOString() });
    expect(snoozed.body).toMatchObject({ state: 'snoozed', status: 'pending', botPaused: true });
    expect((await ana.client.get('/api/v1/me/availability')).body.load).toBe(load - 1);
    await until(id, 'assigned', ana.userId, 5_000);
    expect((await ana.client.get('/api/v1/me/availability')).body.load).toBe(load);
    // A contact's message wakes a snooze early.
    await ana.client.post(`/api/v1/conversations/${id}/snooze`, { until: new Date(Date.now() + 3_600_000).toISOString() });
    const { rows } = await testSql<{ phone: string }>(
      api.env.orm.em.fork(),
      `select c.phone from conversations conv join contacts c on c.id = conv.contact_id where conv.id = :id`,
      { id },
    );
    await write('are you there?', rows[0]!.phone);
    await until(id, 'assigned', ana.userId, 5_000);
    await owner.post(`/api/v1/conversations/${id}/resolve`);
  });
});

describe('timeouts', () => {
  it("hands a conversation nobody took back to the bot with the team's message", async () => {
    const team = await createTeam({
      name: 'Slow',
      strategy: 'manual',
      handoffTimeoutSeconds: 10,
      handoffTimeoutMessage: 'Sorry, nobody is free; the bot is back.',
    });
    await routeToTeam('slow-case', team.id);
    const id = (await write('help slow-case')).conversationId;
    const queued = await until(id, 'queued');
    const job = await api.env.redis.exists(
      `${api.env.config.redisPrefix}:${INBOX_TIMER_QUEUE}:handoff-timeout-${id}-${Date.parse(queued.stateChangedAt)}`,
    );
    expect(job).toBe(1);
    const c = await until(id, 'bot', null, 15_000);
    expect(c.botPaused).toBe(false);
    const { rows } = await testSql<{ text: string; sender: string }>(
      api.env.orm.em.fork(),
      `select text, sender from messages where conversation_id = :id and direction = 'outbound'`,
      { id },
    );
    expect(rows).toEqual([{ text: 'Sorry, nobody is free; the bot is back.', sender: 'bot' }]);
  }, 30_000);

  it('gives each wait in the queue its own timeout: a conversation requeued after its agent went offline times out from its new wait', async () => {
    const team = await createTeam({
      name: 'Rewait',
      strategy: 'manual',
      handoffTimeoutSeconds: 3_600,
      handoffTimeoutMessage: 'Back to the bot.',
      members: [{ userId: ben.userId }],
    });
    await routeToTeam('rewait-case', team.id);
    const id = (await write('help rewait-case')).conversationId;
    const firstWait = new Date((await until(id, 'queued')).stateChangedAt);
    expect((await ben.client.put('/api/v1/me/availability', { availability: 'online' })).status).toBe(200);
    expect((await ben.client.post(`/api/v1/conversations/${id}/take`)).status).toBe(200);
    // The first wait's timer fires while the conversation is with Ben: nothing happens.
    await api.process.inbox.fireTimer({ kind: 'handoff_timeout', conversationId: id, waitStartedAt: firstWait, dueAt: new Date() });
    expect((await conversation(id)).state).toBe('assigned');
    expect((await ben.client.put('/api/v1/me/availability', { availability: 'offline' })).status).toBe(200);
    const requeued = await until(id, 'queued');
    const secondWait = new Date(requeued.stateChangedAt);
    expect(secondWait.getTime()).toBeGreaterThan(firstWait.getTime());
    // It keeps its place in the queue, and its new wait has a timer of its own.
    expect(requeued.queuedAt).toBe(firstWait.toISOString());
    expect(
      await api.env.redis.exists(`${api.env.config.redisPrefix}:${INBOX_TIMER_QUEUE}:handoff-timeout-${id}-${secondWait.getTime()}`),
    ).toBe(1);
    // A stale timer of the first wait still does nothing; the second wait's hands it back to the bot.
    await api.process.inbox.fireTimer({ kind: 'handoff_timeout', conversationId: id, waitStartedAt: firstWait, dueAt: new Date() });
    expect((await conversation(id)).state).toBe('queued');
    await api.process.inbox.fireTimer({ kind: 'handoff_timeout', conversationId: id, waitStartedAt: secondWait, dueAt: new Date() });
    expect((await conversation(id)).state).toBe('bot');
    const { rows } = await testSql<{ text: string }>(
      api.env.orm.em.fork(),
      `select text from messages where conversation_id = :id and direction = 'outbound'`,
      { id },
    );
    expect(rows).toEqual([{ text: 'Back to the bot.' }]);
  });

  it("resolves a conversation after the team's hours of contact silence", async () => {
    const team = await createTeam({ name: 'Quiet', strategy: 'manual', autoResolveHours: 2 });
    await routeToTeam('quiet-case', team.id);
    const id = (await write('help quiet-case')).conversationId;
    await until(id, 'queued');
    const jobs = await api.env.redis.keys(`${api.env.config.redisPrefix}:${INBOX_TIMER_QUEUE}:auto-resolve-${id}-*`);
    expect(jobs).toHaveLength(1);
    // Fired early (the contact spoke within the 2 hours): nothing happens, it is set again.
    await api.process.inbox.fireTimer({ kind: 'auto_resolve', conversationId: id, dueAt: new Date() });
    expect((await conversation(id)).state).toBe('queued');
    // Three hours of silence later.
    await runSql(
      api.env.orm.em.fork(),
      `update conversations set last_inbound_at = now() - interval '3 hours', queued_at = now() - interval '3 hours', state_changed_at = now() - interval '3 hours' where id = :id`,
      { id },
    );
    await api.process.inbox.fireTimer({ kind: 'auto_resolve', conversationId: id, dueAt: new Date() });
    expect((await conversation(id)).state).toBe('resolved');
    expect((await events(id)).at(-1)?.reason).toBe('resolved after 2 hours without a message from the contact');
  });
});

describe('the OpenAPI document', () => {
  it('describes the inbox routes, the live stream as server-sent events', async () => {
    const res = await api.client.get('/api/openapi.json');
    for (const path of [
      '/api/v1/teams',
      '/api/v1/teams/{id}/members',
      '/api/v1/routing-rules',
      '/api/v1/canned-responses/{id}/render',
      '/api/v1/me/availability',
      '/api/v1/conversations/{id}/take',
      '/api/v1/conversations/{id}/timeline',
      '/api/v1/conversations/{id}/notes',
    ]) {
      expect(res.body.paths[path], path).toBeDefined();
    }
    expect(Object.keys(res.body.paths['/api/v1/inbox/events'].get.responses['200'].content)).toEqual(['text/event-stream']);
    expect(res.body.paths['/api/v1/conversations/{id}/assign'].post['x-capability']).toBe('inbox.supervise');
    expect(res.body.paths['/api/v1/conversations'].get.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['state', 'assignee', 'teamId', 'q']),
    );
  });
});

describe('when the process that served an agent dies before it moves their conversations', () => {
  it('returns them to the queue in the same words as the move it missed: went offline, or presence lapsed', async () => {
    const dora = await inviteMember(owner, { email: 'dora@inbox.test', role: 'agent', name: 'Dora', password: 'password-dora-1' });
    const team = await createTeam({ name: 'Orphans', strategy: 'manual', members: [{ userId: dora.userId }] });
    await routeToTeam('orphan-case', team.id);
    const cases = [
      {
        set: `availability = 'online', last_seen_at = now() - interval '1 hour'`,
        reason: 'its agent disconnected longer than the grace period',
      },
      { set: `availability = 'offline', last_seen_at = now()`, reason: 'its agent went offline' },
    ];
    for (const { set, reason } of cases) {
      const id = (await write('help orphan-case')).conversationId;
      await until(id, 'queued');
      await dora.client.put('/api/v1/me/availability', { availability: 'online' });
      const took = await dora.client.post(`/api/v1/conversations/${id}/take`);
      expect(took.status, JSON.stringify(took.body)).toBe(200);
      // What the dead process left: the agent's row says they are gone, and nothing moved their conversation.
      await runSql(api.env.orm.em.fork(), `update agent_status set ${set} where user_id = :userId`, { userId: dora.userId });
      await reconcileInbox();
      expect(await conversation(id)).toMatchObject({ state: 'queued', assigneeUserId: null, teamId: team.id });
      expect((await events(id)).at(-1)?.reason).toBe(reason);
    }
  });
});

describe('when a member who holds conversations leaves the workspace', () => {
  it('returns their conversations to the queue', async () => {
    const team = await createTeam({ name: 'Leavers', strategy: 'manual', members: [{ userId: cleo.userId }] });
    await routeToTeam('leave-case', team.id);
    const id = (await write('help leave-case')).conversationId;
    await until(id, 'queued');
    expect((await cleo.client.post(`/api/v1/conversations/${id}/take`)).status).toBe(200);
    expect((await owner.delete(`/api/v1/members/${cleo.memberId}`)).status).toBe(204);
    await reconcileInbox();
    const c = await conversation(id);
    expect(c).toMatchObject({ state: 'queued', assigneeUserId: null, teamId: team.id });
    expect((await events(id)).at(-1)?.reason).toBe('its agent left the workspace');
  });
});
