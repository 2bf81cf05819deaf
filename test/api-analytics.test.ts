import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { publishFlow } from './support/publish-flow.ts';
import { seedContact } from './support/privacy-fixture.ts';

/*
 * Every analytics figure against data seeded as the engine, the outbox and the status updater
 * write it, with the exact numbers expected. Each workspace seeds the same kinds of noise: a
 * test-chat contact doing what would count, and another workspace doing it too.
 */

const HOUR_MS = 3_600_000;
const now = Date.now();
const ago = (hours: number) => new Date(now - hours * HOUR_MS);

let api: TestApi;

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await runSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

interface Workspace {
  client: ApiClient;
  workspaceId: string;
  channelId: string;
}

async function signUp(name: string): Promise<Workspace> {
  const signup = await api.client.post('/api/v1/auth/signup', { email: `${name}@example.com`, password: `password-${name}`, name, workspaceName: name });
  const client = api.client.as(signup.body.token);
  const channel = await client.post('/api/v1/channels', { kind: 'sandbox', name: `${name} sandbox` });
  return { client, workspaceId: signup.body.workspace.id, channelId: channel.body.id };
}

let phoneSeq = 0;
async function contact(ws: Workspace, opts: { test?: boolean } = {}) {
  const seeded = await seedContact(api.env.orm.em.fork(), { workspaceId: ws.workspaceId, channelId: ws.channelId, phone: `+1555010${String(phoneSeq++).padStart(4, '0')}` });
  if (opts.test) await sql(`update contacts set is_test = true where id = :id`, { id: seeded.contactId });
  return { ...seeded, ws };
}
type Contact = Awaited<ReturnType<typeof contact>>;

/** A message as the inbound store (inbound) or the outbox and status updater (outbound) leave it. */
async function message(c: Contact, m: { direction: 'inbound' | 'outbound'; sender: string; at: Date; status?: string; times?: Record<string, Date> }): Promise<string> {
  const id = newId();
  const times = Object.fromEntries(Object.entries(m.times ?? {}).map(([k, v]) => [k, v.toISOString()]));
  await sql(
    `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, status_times, created_at)
     values (:id, :workspaceId, :channelId, :conversationId, :contactId, :direction, :sender, 'text', 'hello', :status, cast(:times as jsonb), :at)`,
    { id, workspaceId: c.ws.workspaceId, channelId: c.ws.channelId, conversationId: c.conversationId, contactId: c.contactId, direction: m.direction, sender: m.sender, status: m.status ?? (m.direction === 'inbound' ? 'received' : 'sent'), times: JSON.stringify(times), at: m.at },
  );
  return id;
}

async function broadcast(ws: Workspace, name: string, startedAt: Date | null, kind: 'message' | 'flow' = 'message'): Promise<string> {
  const id = newId();
  const content = kind === 'message' ? { kind: 'message', text: 'Hello' } : { kind: 'flow', flowId: newId() };
  await sql(
    `insert into broadcasts (id, workspace_id, name, channel_id, audience, content, schedule, state, started_at, finished_at, created_at)
     values (:id, :workspaceId, :name, :channelId, '{"kind":"segment","rule":{"==":[1,1]}}', cast(:content as jsonb), '{"kind":"now"}', :state, :startedAt, :startedAt, coalesce(cast(:startedAt as timestamptz), now()))`,
    { id, workspaceId: ws.workspaceId, channelId: ws.channelId, name, content: JSON.stringify(content), state: startedAt ? 'completed' : 'draft', startedAt },
  );
  return id;
}

/**
 * A recipient of a message broadcast: its message reached `reached` at `sentAt` (+1 min delivered,
 * +1 h read unless `readOnly` leaves the delivery time out, as WhatsApp sometimes does).
 */
async function recipient(
  broadcastId: string,
  c: Contact,
  r: { reached: 'sent' | 'delivered' | 'read' | 'failed' | 'skipped'; sentAt: Date; optedOutAt?: Date; readOnly?: boolean },
): Promise<{ deliveredAt: Date }> {
  const deliveredAt = new Date(r.sentAt.getTime() + (r.readOnly ? HOUR_MS : 60_000));
  let messageId: string | null = null;
  if (r.reached !== 'skipped') {
    const times: Record<string, Date> = { queued: r.sentAt };
    if (r.reached === 'failed') times.failed = r.sentAt;
    else times.sent = r.sentAt;
    if ((r.reached === 'delivered' || r.reached === 'read') && !r.readOnly) times.delivered = deliveredAt;
    if (r.reached === 'read') times.read = new Date(r.sentAt.getTime() + HOUR_MS);
    messageId = await message(c, { direction: 'outbound', sender: 'broadcast', at: r.sentAt, status: r.reached, times });
  }
  await sql(
    `insert into broadcast_recipients (id, broadcast_id, workspace_id, contact_id, batch, state, skip_reason, message_id, opted_out_at, updated_at)
     values (:id, :broadcastId, :workspaceId, :contactId, 0, :state, :skipReason, :messageId, :optedOutAt, :sentAt)`,
    {
      id: newId(),
      broadcastId,
      workspaceId: c.ws.workspaceId,
      contactId: c.contactId,
      state: r.reached === 'skipped' ? 'skipped' : 'queued',
      skipReason: r.reached === 'skipped' ? 'opted_out' : null,
      messageId,
      optedOutAt: r.optedOutAt ?? null,
      sentAt: r.sentAt,
    },
  );
  return { deliveredAt };
}

const reply = (c: Contact, at: Date) => message(c, { direction: 'inbound', sender: 'contact', at });
const plus = (d: Date, hours: number) => new Date(d.getTime() + hours * HOUR_MS);

let shop: Workspace;
let other: Workspace;

beforeAll(async () => {
  api = await startTestApi();
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
    expect(w).toMatchObject({ id: winter, audienceKind: 'segment', contentKind: 'message', engagement: { delivered: 2, replied: 1, optedOut: 0, replyRate: 0.5, optOutRate: 0 } });
    expect(s).toMatchObject({ id: spring, stats: { total: 9, byStatus: { sent: 1, delivered: 3, read: 3, failed: 1, skipped: 1, pending: 0 } }, engagement: { delivered: 6, replied: 3, optedOut: 1 } });
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
