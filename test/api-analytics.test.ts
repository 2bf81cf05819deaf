import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  analyticsFixture,
  HOUR_MS,
  type AnalyticsFixture,
  type SeededContact as Contact,
  type Workspace,
} from './support/analytics-fixture.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { publishFlow } from './support/publish-flow.ts';

/*
 * Every analytics figure against data seeded as the engine, the outbox and the status updater
 * write it, with the exact numbers expected. Each workspace seeds the same kinds of noise: a
 * test-chat contact doing what would count, and another workspace doing it too.
 */

const now = Date.now();
const ago = (hours: number) => new Date(now - hours * HOUR_MS);

let api: TestApi;
let f: AnalyticsFixture;
// The fixture's helpers, bound to this file's product once it runs.
const signUp = (name: string) => f.signUp(name);
const contact = (...a: Parameters<AnalyticsFixture['contact']>) => f.contact(...a);
const message = (...a: Parameters<AnalyticsFixture['message']>) => f.message(...a);
const broadcast = (...a: Parameters<AnalyticsFixture['broadcast']>) => f.broadcast(...a);
const recipient = (...a: Parameters<AnalyticsFixture['recipient']>) => f.recipient(...a);
const reply = (...a: Parameters<AnalyticsFixture['reply']>) => f.reply(...a);
const run = (...a: Parameters<AnalyticsFixture['run']>) => f.run(...a);
const sql = (...a: Parameters<AnalyticsFixture['sql']>) => f.sql(...a);
const plus = (d: Date, hours: number) => new Date(d.getTime() + hours * HOUR_MS);

let shop: Workspace;
let other: Workspace;

beforeAll(async () => {
  api = await startTestApi();
  f = analyticsFixture(api);
  shop = await signUp('shop');
  other = await signUp('other');
});

afterAll(async () => {
  await api?.close();
});

describe('broadcast reply and opt-out rates', () => {
  let spring: string;
  let winter: string;
  let flowBroadcast: string;
  let draft: string;
  let othersBroadcast: string;

  beforeAll(async () => {
    const c = await Promise.all(Array.from({ length: 9 }, () => contact(shop)));
    const [c1, c2, c3, c4, c5, c6, c7, c8, c9] = c as [Contact, Contact, Contact, Contact, Contact, Contact, Contact, Contact, Contact];
    // c8 wrote before the broadcast: that message is no reply to it.
    await reply(c8, ago(200));

    const sentAt = ago(120);
    spring = await broadcast(shop, 'Spring sale', sentAt);
    const d1 = await recipient(spring, c1, { reached: 'read', sentAt });
    const d2 = await recipient(spring, c2, { reached: 'delivered', sentAt });
    const d3 = await recipient(spring, c3, { reached: 'delivered', sentAt, optedOutAt: plus(sentAt, 2) });
    await recipient(spring, c4, { reached: 'read', sentAt });
    await recipient(spring, c5, { reached: 'sent', sentAt, optedOutAt: plus(sentAt, 1) });
    await recipient(spring, c6, { reached: 'failed', sentAt });
    await recipient(spring, c7, { reached: 'skipped', sentAt });
    await recipient(spring, c8, { reached: 'delivered', sentAt });
    // Read with no delivery report: delivered when read, an hour after it was sent.
    const d9 = await recipient(spring, c9, { reached: 'read', sentAt, readOnly: true });
    await reply(c1, plus(d1.deliveredAt, 1)); // replied
    await reply(c2, plus(d2.deliveredAt, 73)); // too late
    await reply(c3, plus(d3.deliveredAt, 2)); // replied STOP, and opted out
    await reply(c5, plus(sentAt, 1)); // replied, but no delivery report: not among the delivered
    await reply(c9, plus(d9.deliveredAt, 71)); // replied within 72 h of being read

    const winterAt = ago(24);
    winter = await broadcast(shop, 'Winter promo', winterAt);
    const w1 = await recipient(winter, c1, { reached: 'delivered', sentAt: winterAt });
    await recipient(winter, c4, { reached: 'delivered', sentAt: winterAt });
    await reply(c1, plus(w1.deliveredAt, 0.5));

    flowBroadcast = await broadcast(shop, 'Flow blast', ago(48), 'flow');
    draft = await broadcast(shop, 'Not sent yet', null);

    // A test-chat contact is never in an audience (segment-scan); it replying changes nothing.
    const tester = await contact(shop, { test: true });
    await reply(tester, ago(23));

    // The other workspace's broadcast, delivered and replied to.
    const o1 = await contact(other);
    othersBroadcast = await broadcast(other, 'Other shop sale', ago(10));
    const od = await recipient(othersBroadcast, o1, { reached: 'read', sentAt: ago(10) });
    await reply(o1, plus(od.deliveredAt, 1));
  });

  it('counts the delivered recipients who replied within 72 hours and who opted out', async () => {
    const res = await shop.client.get(`/api/v1/broadcasts/${spring}/engagement`);
    expect(res.status).toBe(200);
    expect(res.body.engagement).toEqual({ delivered: 6, replied: 3, optedOut: 1, replyRate: 0.5, optOutRate: 1 / 6 });
    expect(res.body.definitions).toMatchObject({ replyWindowHours: 72, optOutWindowDays: 7 });
    expect(res.body.definitions.replyRate).toContain('72 hours after it was delivered');
  });

  it('uses the delivered number of the broadcast itself ("reached at least")', async () => {
    const b = (await shop.client.get(`/api/v1/broadcasts/${spring}`)).body;
    expect(b.stats.byStatus.delivered + b.stats.byStatus.read).toBe(6);
    expect(b.stats.optedOutAfter).toBe(2);
  });

  it('gives a flow broadcast no rates (it delivers no broadcast message)', async () => {
    const res = await shop.client.get(`/api/v1/broadcasts/${flowBroadcast}/engagement`);
    expect(res.body.engagement).toEqual({ delivered: 0, replied: 0, optedOut: 0, replyRate: null, optOutRate: null });
  });

  it('compares the started broadcasts, newest first, and none of another workspace', async () => {
    const res = await shop.client.get('/api/v1/analytics/broadcasts');
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: any) => i.name)).toEqual(['Winter promo', 'Flow blast', 'Spring sale']);
    const [w, , s] = res.body.items;
    expect(w).toMatchObject({
      id: winter,
      audienceKind: 'segment',
      contentKind: 'message',
      engagement: { delivered: 2, replied: 1, optedOut: 0, replyRate: 0.5, optOutRate: 0 },
    });
    expect(s).toMatchObject({
      id: spring,
      stats: { total: 9, byStatus: { sent: 1, delivered: 3, read: 3, failed: 1, skipped: 1, pending: 0 } },
      engagement: { delivered: 6, replied: 3, optedOut: 1 },
    });
    expect(JSON.stringify(res.body)).not.toContain(draft);
    expect(JSON.stringify(res.body)).not.toContain(othersBroadcast);
    expect((await shop.client.get('/api/v1/analytics/broadcasts?limit=1')).body.items.map((i: any) => i.id)).toEqual([winter]);
  });

  it("answers 404 for another workspace's broadcast, and compares only its own", async () => {
    expect((await other.client.get(`/api/v1/broadcasts/${spring}/engagement`)).status).toBe(404);
    const res = await other.client.get('/api/v1/analytics/broadcasts');
    expect(res.body.items.map((i: any) => i.id)).toEqual([othersBroadcast]);
    expect(res.body.items[0].engagement).toEqual({ delivered: 1, replied: 1, optedOut: 0, replyRate: 1, optOutRate: 0 });
  });

  it('refuses a limit out of range with the field named', async () => {
    const res = await shop.client.get('/api/v1/analytics/broadcasts?limit=1000');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('limit');
  });
});

describe('flow figures: runs, completion, hand-off and opt-outs, per node', () => {
  let flowId: string;

  beforeAll(async () => {
    const flow = await publishFlow(api, shop.workspaceId, f.FLOW_DOCUMENT, 'Welcome');
    flowId = flow.flowId;
    const c = await contact(shop);
    const start: [string, string, string | null] = ['trigger', 'message_received', 'out'];
    const send: [string, string, string | null] = ['send', 'send_message', 'out'];
    await run(flow, c, { status: 'completed', startedAt: ago(1), steps: [start, send, ['end', 'end', null]] });
    await run(flow, c, { status: 'completed', startedAt: ago(2), steps: [start, send, ['agent', 'hand_off', null]] });
    await run(flow, c, { status: 'failed', startedAt: ago(3), steps: [start, ['send', 'send_message', null]] });
    await run(flow, c, { status: 'waiting', startedAt: ago(4), steps: [start, ['ask', 'wait_for_reply', null]], currentNodeId: 'ask' });
    await run(flow, c, { status: 'completed', startedAt: ago(30), steps: [start, ['stop', 'opt_out', null]] });
    await run(flow, c, { status: 'stopped', startedAt: ago(50), steps: [start] });
    // A test-chat run that handed off: never counted.
    const tester = await contact(shop, { test: true });
    await run(flow, tester, { status: 'completed', startedAt: ago(1), steps: [start, ['agent', 'hand_off', null]] });
  });

  it('counts the last runs by outcome, with the hand-off and opt-out rates', async () => {
    const res = await shop.client.get(`/api/v1/flows/${flowId}/analytics`);
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({
      runs: 6,
      completed: 3,
      failed: 1,
      stopped: 1,
      active: 1,
      handedOff: 1,
      optOuts: 1,
      completionRate: 0.5,
      handOffRate: 1 / 6,
      optOutRate: 1 / 6,
    });
  });

  it('counts per node the runs that reached it, left it by each output, stopped or wait there', async () => {
    const res = await shop.client.get(`/api/v1/flows/${flowId}/analytics`);
    const nodes = Object.fromEntries(res.body.nodes.map((n: any) => [n.nodeId, n]));
    expect(nodes).toEqual({
      trigger: { nodeId: 'trigger', reached: 6, ports: { out: 6 }, stoppedHere: 0, waiting: 0 },
      send: { nodeId: 'send', reached: 3, ports: { out: 2 }, stoppedHere: 1, waiting: 0 },
      end: { nodeId: 'end', reached: 1, ports: {}, stoppedHere: 1, waiting: 0 },
      agent: { nodeId: 'agent', reached: 1, ports: {}, stoppedHere: 1, waiting: 0 },
      ask: { nodeId: 'ask', reached: 1, ports: {}, stoppedHere: 1, waiting: 1 },
      stop: { nodeId: 'stop', reached: 1, ports: {}, stoppedHere: 1, waiting: 0 },
    });
  });

  it('counts only the last N runs', async () => {
    const res = await shop.client.get(`/api/v1/flows/${flowId}/analytics?lastRuns=2`);
    expect(res.body.totals).toMatchObject({ runs: 2, completed: 2, handedOff: 1, optOuts: 0, completionRate: 1, handOffRate: 0.5 });
  });

  it('counts the runs started within a date range, its end excluded', async () => {
    const from = ago(36).toISOString();
    const to = ago(3).toISOString(); // the failed run started exactly then: left out
    const res = await shop.client.get(`/api/v1/flows/${flowId}/analytics?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(res.status).toBe(200);
    expect(res.body.totals).toMatchObject({ runs: 2, completed: 1, failed: 0, active: 1, handedOff: 0, optOuts: 1, optOutRate: 0.5 });
    expect(res.body.window).toMatchObject({ from, to, firstStartedAt: ago(30).toISOString(), lastStartedAt: ago(4).toISOString() });
    expect(Object.fromEntries(res.body.nodes.map((n: any) => [n.nodeId, n.reached]))).toEqual({ trigger: 2, ask: 1, stop: 1 });
  });

  it('refuses a range that ends before it starts, in words', async () => {
    const res = await shop.client.get(
      `/api/v1/flows/${flowId}/analytics?from=${encodeURIComponent(ago(1).toISOString())}&to=${encodeURIComponent(ago(2).toISOString())}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('"from" must be before "to"');
  });

  it("answers 404 for another workspace's flow", async () => {
    expect((await other.client.get(`/api/v1/flows/${flowId}/analytics`)).status).toBe(404);
  });
});

describe('dashboard: messages per day and response times of bots and agents', () => {
  let desk: Workspace;
  const expectedDays = new Map<string, { inbound: number; outbound: number }>();
  const count = (at: Date, direction: 'inbound' | 'outbound') => {
    const day = at.toISOString().slice(0, 10); // the workspace's time zone is UTC
    const entry = expectedDays.get(day) ?? { inbound: 0, outbound: 0 };
    entry[direction] += 1;
    expectedDays.set(day, entry);
  };

  beforeAll(async () => {
    desk = await signUp('desk');
    const [x, y] = [await contact(desk), await contact(desk)];
    const seconds = (d: Date, s: number) => new Date(d.getTime() + s * 1000);
    const t1 = ago(30);
    const t2 = ago(5);
    // x: a bot answers in 10 s, later an agent in 60 s; y: a bot answers in 30 s.
    for (const [c, at, sender, after] of [
      [x, t1, 'bot', 10],
      [x, seconds(t1, 100), 'agent', 60],
      [y, t2, 'bot', 30],
    ] as const) {
      await message(c, { direction: 'inbound', sender: 'contact', at });
      await message(c, { direction: 'outbound', sender, at: seconds(at, after), status: 'delivered' });
      count(at, 'inbound');
      count(seconds(at, after), 'outbound');
    }
    // A test-chat contact answered by the bot after 1,000 s, and another workspace's agent after 5 s: neither counts.
    const tester = await contact(desk, { test: true });
    await message(tester, { direction: 'inbound', sender: 'contact', at: t2 });
    await message(tester, { direction: 'outbound', sender: 'bot', at: seconds(t2, 1000), status: 'delivered' });
    // Conversations active in the last 24 hours: y's, and the test chat's (not counted).
    await sql(`update conversations set last_message_at = :at where id = any(cast(:ids as uuid[]))`, {
      at: seconds(t2, 30),
      ids: [y.conversationId, tester.conversationId],
    });
    await sql(`update conversations set last_message_at = :at where id = :id`, { at: seconds(t1, 160), id: x.conversationId });
    const o = await contact(other);
    await message(o, { direction: 'inbound', sender: 'contact', at: t2 });
    await message(o, { direction: 'outbound', sender: 'agent', at: seconds(t2, 5), status: 'delivered' });
  });

  it('gives the median and 90th percentile of how fast bots and agents answered', async () => {
    const res = await desk.client.get('/api/v1/analytics/dashboard?days=7');
    expect(res.status).toBe(200);
    expect(res.body.responseTimes).toEqual([
      { sender: 'agent', answered: 1, medianSeconds: 60, p90Seconds: 60 },
      { sender: 'bot', answered: 2, medianSeconds: 20, p90Seconds: 28 },
    ]);
  });

  it("counts the messages in and out per day in the workspace's time zone, test chats left out", async () => {
    const res = await desk.client.get('/api/v1/analytics/dashboard?days=7');
    expect(res.body.messagesPerDay).toHaveLength(7);
    const seen = Object.fromEntries(
      res.body.messagesPerDay
        .filter((d: any) => d.inbound + d.outbound > 0)
        .map((d: any) => [d.day, { inbound: d.inbound, outbound: d.outbound }]),
    );
    expect(seen).toEqual(Object.fromEntries(expectedDays));
    expect(res.body.activeConversations).toEqual({ last24h: 1, queued: 0, assigned: 0 });
  });
});
