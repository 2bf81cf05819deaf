import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROADCAST_JOB_OPTIONS,
  BROADCASTS_QUEUE,
  broadcastSendQueueName,
  recurringSchedulerId,
} from '../platform/broadcasts/broadcast-queues.ts';
import { testSql } from './support/test-sql.ts';
import { doc, keywordTrigger, node, edge } from '../engine/flows/flow-document.fixture.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { waitForBroadcastState } from './support/broadcast-state.ts';
import { eventually } from './support/eventually.ts';
import { publishFlow } from './support/publish-flow.ts';

let api: TestApi;
let owner: ApiClient;
let workspaceId: string;
let ownerId: string;
let channelId: string;
let phoneSeq = 0;

let queue: Queue | undefined;
function broadcastsQueue(): Queue {
  queue ??= new Queue(BROADCASTS_QUEUE, { connection: api.env.redis, prefix: api.env.config.redisPrefix });
  return queue;
}

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

/** Creates `count` contacts with these tags and attributes; answers their ids. */
async function contacts(
  count: number,
  fields: {
    tags?: string[];
    attributes?: Record<string, unknown>;
    optedOut?: boolean;
    restricted?: boolean;
    erased?: boolean;
    name?: string;
  } = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    phoneSeq += 1;
    const [row] = await sql<{ id: string }>(
      `insert into contacts (id, workspace_id, phone, name, tags, attributes, opted_out_at, restricted_at, erased_at)
       values (gen_random_uuid(), :workspaceId, :phone, :name, cast(:tags as text[]), cast(:attributes as jsonb),
               case when :optedOut then now() end, case when :restricted then now() end, case when :erased then now() end)
       returning id`,
      {
        workspaceId,
        phone: `+1666${String(1_000_000 + phoneSeq).padStart(7, '0')}`,
        name: fields.name ?? `Contact ${phoneSeq}`,
        tags: fields.tags ?? [],
        attributes: JSON.stringify(fields.attributes ?? {}),
        optedOut: fields.optedOut ?? false,
        restricted: fields.restricted ?? false,
        erased: fields.erased ?? false,
      },
    );
    ids.push(row!.id);
  }
  return ids;
}

function spec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Test broadcast',
    channelId,
    audience: { kind: 'segment', rule: { in: ['vip', { var: 'contact.tags' }] } },
    content: { kind: 'message', text: 'Hi {{contact.name | "there"}} from {{workspace.name}}' },
    schedule: { kind: 'now' },
    ...overrides,
  };
}

async function createAndSchedule(body: Record<string, unknown>): Promise<string> {
  const created = await owner.post('/api/v1/broadcasts', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const scheduled = await owner.post(`/api/v1/broadcasts/${created.body.id}/schedule`, {});
  expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
  return created.body.id;
}

async function messagesOf(broadcastId: string): Promise<{ contactId: string; text: string; idempotencyKey: string }[]> {
  return sql(
    `select m.contact_id as "contactId", m.text, m.idempotency_key as "idempotencyKey" from messages m
      where m.idempotency_key like :prefix order by m.contact_id`,
    { prefix: `broadcast:${broadcastId}:%` },
  );
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'broadcasts@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Acme',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  ownerId = signup.body.user.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
});

afterAll(async () => {
  await queue?.close();
  await api?.close();
});

describe('when a broadcast to a segment runs to completion', () => {
  let id: string;
  let reachable: string[];
  let finished: any;

  beforeAll(async () => {
    reachable = await contacts(25, { tags: ['vip'] });
    await contacts(2, { tags: ['vip'], optedOut: true });
    await contacts(1, { tags: ['vip'], restricted: true });
    await contacts(1, { tags: ['vip'], erased: true });
    await contacts(5, { tags: ['other'] });
    id = await createAndSchedule(spec());
    finished = await waitForBroadcastState(owner, id, 'completed');
  });

  it('sends one message to each reachable contact of the segment, rendered for them, keyed by broadcast and recipient', async () => {
    const messages = await messagesOf(id);
    expect(messages.map((m) => m.contactId).sort()).toEqual([...reachable].sort());
    const recipients = await sql<{ id: string; contactId: string }>(
      `select id, contact_id as "contactId" from broadcast_recipients where broadcast_id = :id and state = 'queued'`,
      { id },
    );
    expect(messages.map((m) => m.idempotencyKey).sort()).toEqual(recipients.map((r) => `broadcast:${id}:${r.id}`).sort());
    expect(messages[0]!.text).toMatch(/^Hi Contact \d+ from Acme$/);
  });

  it('counts the opted-out, restricted and erased contacts as skipped with their reason', () => {
    expect(finished.stats.total).toBe(29);
    expect(finished.stats.byStatus.skipped).toBe(4);
    expect(finished.stats.skippedByReason).toMatchObject({ opted_out: 2, restricted: 1, erased: 1 });
    expect(finished.stats.percentDone).toBe(100);
  });

  it('moves each recipient to delivered and read as the channel reports, and the counts match the rows', async () => {
    const done = await eventually(async () => {
      const res = await owner.get(`/api/v1/broadcasts/${id}`);
      return res.body.stats.byStatus.read === 25 ? res.body : undefined;
    });
    const rows = await sql<{ status: string; count: string }>(
      `select m.status, count(*) as count from broadcast_recipients r join messages m on m.id = r.message_id where r.broadcast_id = :id group by 1`,
      { id },
    );
    expect(Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]))).toEqual({ read: 25 });
    expect(done.stats.byStatus).toMatchObject({ pending: 0, sent: 0, delivered: 0, read: 25, failed: 0, skipped: 4 });
    const list = await owner.get(`/api/v1/broadcasts/${id}/recipients?status=skipped`);
    expect(list.body.items.map((r: any) => r.skipReason).sort()).toEqual(['erased', 'opted_out', 'opted_out', 'restricted']);
    const timeline = await owner.get(`/api/v1/broadcasts/${id}/timeline`);
    expect(timeline.body.buckets.reduce((n: number, b: any) => n + b.sent, 0)).toBe(25);
    expect(timeline.body.buckets.reduce((n: number, b: any) => n + b.read, 0)).toBe(25);
  });

  it('draws the chart as "reached at least": a read with no delivery report still counts as delivered and sent, so its totals end on the stats', async () => {
    await sql(
      `update messages set status_times = status_times - 'delivered' - 'sent' where id = (select message_id from broadcast_recipients where broadcast_id = :id and message_id is not null limit 1)`,
      { id },
    );
    const timeline = await owner.get(`/api/v1/broadcasts/${id}/timeline`);
    const total = (key: string) => timeline.body.buckets.reduce((n: number, b: any) => n + b[key], 0);
    const { byStatus } = (await owner.get(`/api/v1/broadcasts/${id}`)).body.stats;
    expect([total('sent'), total('delivered'), total('read'), total('failed')]).toEqual([
      byStatus.sent + byStatus.delivered + byStatus.read,
      byStatus.delivered + byStatus.read,
      byStatus.read,
      byStatus.failed,
    ]);
    expect(total('delivered')).toBe(25);
  });

  it('counts a STOP reply from a recipient on the broadcast and opts the contact out', async () => {
    const [contact] = await sql<{ phone: string }>(`select phone from contacts where id = :id`, { id: reachable[0] });
    const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from: contact!.phone, text: 'STOP' });
    expect(res.status).toBe(202);
    const after = await eventually(async () => {
      const b = (await owner.get(`/api/v1/broadcasts/${id}`)).body;
      return b.stats.optedOutAfter === 1 ? b : undefined;
    });
    expect(after.stats.optedOutAfter).toBe(1);
    const [row] = await sql<{ optedOut: boolean }>(`select opted_out_at is not null as "optedOut" from contacts where id = :id`, {
      id: reachable[0],
    });
    expect(row!.optedOut).toBe(true);
  });

  // Regression: the contact update route set the flag through the ORM and recorded the history,
  // but never counted the opt-out on the broadcasts that had reached the contact.
  it('counts an opt-out recorded through the API on the broadcast, as it counts a STOP reply, with its history entry', async () => {
    const res = await owner.patch(`/api/v1/contacts/${reachable[1]}`, { optedOut: true });
    expect(res.status).toBe(200);
    expect(res.body.optedOut).toBe(true);
    expect((await owner.get(`/api/v1/broadcasts/${id}`)).body.stats.optedOutAfter).toBe(2);
    const history = await owner.get(`/api/v1/contacts/${reachable[1]}/consent`);
    expect(history.body.items.map((e: any) => [e.action, e.source, e.actorUserId, e.channelId])).toEqual([
      ['opt_out', 'api', ownerId, null],
    ]);
  });

  it('refuses to pause it now that it is completed, saying which states allow it', async () => {
    const res = await owner.post(`/api/v1/broadcasts/${id}/pause`, {});
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('broadcast_state_conflict');
    expect(res.body.error.details.allowedFrom).toEqual(['scheduled', 'running']);
  });
});

describe('when a broadcast names explicit phones', () => {
  it('creates the contacts it does not know and sends to each phone once', async () => {
    const id = await createAndSchedule(
      spec({ audience: { kind: 'csv', csv: 'name,phone\nA,+16670000001\nB,+1 667 000 0002\nA again,+16670000001\n' } }),
    );
    await waitForBroadcastState(owner, id, 'completed');
    const messages = await sql<{ phone: string }>(
      `select c.phone from messages m join contacts c on c.id = m.contact_id where m.idempotency_key like :p order by 1`,
      { p: `broadcast:${id}:%` },
    );
    expect(messages.map((m) => m.phone)).toEqual(['+16670000001', '+16670000002']);
  });
});

describe('when a broadcast imports a large CSV', () => {
  it("accepts 50,000 phones in one request, larger than the API's usual body limit", async () => {
    const csv = ['phone', ...Array.from({ length: 50_000 }, (_, i) => `+1668${String(i).padStart(7, '0')}`)].join('\n');
    const res = await owner.post('/api/v1/broadcasts', spec({ audience: { kind: 'csv', csv } }));
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
  });
});

describe('when a broadcast is bad input', () => {
  it('refuses an unknown template variable, naming it', async () => {
    const res = await owner.post('/api/v1/broadcasts', spec({ content: { kind: 'message', text: 'Hi {{vars.name}}' } }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('broadcast_invalid');
    expect(res.body.error.details[0]).toMatchObject({ code: 'template_unknown_variable', path: 'content.text' });
  });

  it('refuses a phone that is not one, with its position', async () => {
    const res = await owner.post('/api/v1/broadcasts', spec({ audience: { kind: 'phones', phones: ['+16670000003', 'call me'] } }));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ code: 'phone_invalid', path: 'audience.phones.1' });
  });

  it('refuses an invalid cron and an unknown time zone', async () => {
    const cron = await owner.post('/api/v1/broadcasts', spec({ schedule: { kind: 'recurring', cron: '61 * * * *', timezone: 'UTC' } }));
    expect(cron.status).toBe(400);
    expect(JSON.stringify(cron.body.error.details)).toContain('minute');
    const zone = await owner.post(
      '/api/v1/broadcasts',
      spec({ schedule: { kind: 'at', localTime: '2030-01-01T09:00', timezone: 'Mars/Olympus' } }),
    );
    expect(zone.status).toBe(400);
    expect(JSON.stringify(zone.body.error.details)).toContain('IANA');
  });

  it('refuses to schedule a time in the past', async () => {
    const created = await owner.post(
      '/api/v1/broadcasts',
      spec({ schedule: { kind: 'at', localTime: '2020-01-01T09:00', timezone: 'UTC' } }),
    );
    expect(created.status).toBe(201);
    const res = await owner.post(`/api/v1/broadcasts/${created.body.id}/schedule`, {});
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ code: 'schedule_in_past', path: 'schedule.localTime' });
    expect((await owner.get(`/api/v1/broadcasts/${created.body.id}`)).body.state).toBe('draft');
  });

  it('refuses to schedule an audience no reachable contact matches', async () => {
    await contacts(1, { tags: ['gone'], optedOut: true });
    const created = await owner.post(
      '/api/v1/broadcasts',
      spec({ audience: { kind: 'segment', rule: { in: ['gone', { var: 'contact.tags' }] } } }),
    );
    const res = await owner.post(`/api/v1/broadcasts/${created.body.id}/schedule`, {});
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].code).toBe('audience_empty');
  });

  it('keeps a broadcast whose channel is not connected scheduled, and says why', async () => {
    const other = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Offline' })).body.id;
    await sql(`update channels set status = 'disconnected' where id = :id`, { id: other });
    await contacts(1, { tags: ['offline-test'] });
    const id = await createAndSchedule(
      spec({ channelId: other, audience: { kind: 'segment', rule: { in: ['offline-test', { var: 'contact.tags' }] } } }),
    );
    const waiting = await eventually(async () => {
      const b = (await owner.get(`/api/v1/broadcasts/${id}`)).body;
      return b.stateReason?.startsWith('channel_not_connected') ? b : undefined;
    });
    expect(waiting.state).toBe('scheduled');
  });
});

describe("when a broadcast has quiet hours on the contact's clock", () => {
  it('sends now to contacts outside their quiet hours and holds the others until their quiet hours end', async () => {
    const now = new Date();
    const hh = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    // Quiet from an hour ago to an hour from now, read in UTC; UTC+12 is far outside it.
    const quietHours = { start: hh(new Date(now.getTime() - 3600_000)), end: hh(new Date(now.getTime() + 3600_000)), timezone: 'contact' };
    const asleep = await contacts(3, { tags: ['quiet-test'], attributes: { timezone: 'UTC' } });
    const awake = await contacts(2, { tags: ['quiet-test'], attributes: { timezone: 'Etc/GMT-12' } });
    const id = await createAndSchedule(
      spec({ audience: { kind: 'segment', rule: { in: ['quiet-test', { var: 'contact.tags' }] } }, quietHours }),
    );
    const sent = await eventually(async () => {
      const rows = await messagesOf(id);
      return rows.length >= 2 ? rows : undefined;
    });
    expect(sent.map((m) => m.contactId).sort()).toEqual([...awake].sort());
    const held = await sql<{ contactId: string; notBefore: string }>(
      `select contact_id as "contactId", not_before as "notBefore" from broadcast_recipients where broadcast_id = :id and state = 'pending'`,
      { id },
    );
    expect(held.map((h) => h.contactId).sort()).toEqual([...asleep].sort());
    for (const h of held) expect(Math.abs(new Date(h.notBefore).getTime() - (now.getTime() + 3600_000))).toBeLessThan(61_000);
    // Their batch comes back when the quiet hours end: a delayed job due at not_before.
    const sendQueue = new Queue(broadcastSendQueueName(channelId), { connection: api.env.redis, prefix: api.env.config.redisPrefix });
    try {
      // Enqueued after the batch's rows commit, so it may come a moment after they show.
      const later = await eventually(async () => {
        const jobs = (await sendQueue.getDelayed()).filter((job) => job.id?.startsWith(`batch-${id}-`));
        return jobs.length > 0 ? jobs : undefined;
      });
      expect(later).toHaveLength(1);
      // The job's own clock reading differs from the batch's by the few ms between them.
      expect(Math.abs(later[0]!.timestamp + later[0]!.delay - new Date(held[0]!.notBefore).getTime())).toBeLessThan(1_000);
    } finally {
      await sendQueue.close();
    }
    expect((await owner.get(`/api/v1/broadcasts/${id}`)).body.state).toBe('running');
  });
});

describe('when a broadcast is recurring', () => {
  it('keeps a job scheduler with its cron and time zone, updated by an edit and removed by a cancel', async () => {
    await contacts(1, { tags: ['weekly'] });
    const id = await createAndSchedule(
      spec({
        audience: { kind: 'segment', rule: { in: ['weekly', { var: 'contact.tags' }] } },
        schedule: { kind: 'recurring', cron: '0 9 * * 1', timezone: 'Europe/Paris' },
      }),
    );
    const queue = broadcastsQueue();
    expect(await queue.getJobScheduler(recurringSchedulerId(id))).toMatchObject({ pattern: '0 9 * * 1', tz: 'Europe/Paris' });
    const b = (await owner.get(`/api/v1/broadcasts/${id}`)).body;
    expect(b.state).toBe('scheduled');
    expect(new Date(b.nextRunAt).getTime()).toBeGreaterThan(Date.now());
    const edited = await owner.patch(`/api/v1/broadcasts/${id}`, {
      schedule: { kind: 'recurring', cron: '30 18 * * *', timezone: 'Asia/Tokyo' },
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(await queue.getJobScheduler(recurringSchedulerId(id))).toMatchObject({ pattern: '30 18 * * *', tz: 'Asia/Tokyo' });
    const cancelled = await owner.post(`/api/v1/broadcasts/${id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', stateReason: 'cancelled by Owner' });
    expect(await queue.getJobScheduler(recurringSchedulerId(id))).toBeFalsy();
  });

  it('creates one occurrence per firing, however often the firing is delivered, and sends it', async () => {
    const [contact] = await contacts(1, { tags: ['daily'] });
    const id = await createAndSchedule(
      spec({
        audience: { kind: 'segment', rule: { in: ['daily', { var: 'contact.tags' }] } },
        schedule: { kind: 'recurring', cron: '0 7 * * *', timezone: 'UTC' },
      }),
    );
    const queue = broadcastsQueue();
    // What the scheduler's firing adds, twice (a retried delivery of the same firing).
    for (let i = 0; i < 2; i++) {
      await queue.add(
        'occurrence',
        { kind: 'occurrence', broadcastId: id },
        { ...BROADCAST_JOB_OPTIONS, jobId: `repeat:${recurringSchedulerId(id)}:1767250800000` },
      );
      // The second delivery comes after the first finished (its job removed), as a redelivery would.
      await eventually(async () =>
        (await queue.getJobState(`repeat:${recurringSchedulerId(id)}:1767250800000`)) === 'unknown' ? true : undefined,
      );
    }
    await queue.add(
      'occurrence',
      { kind: 'occurrence', broadcastId: id },
      { ...BROADCAST_JOB_OPTIONS, jobId: `repeat:${recurringSchedulerId(id)}:1767337200000` },
    );
    const occurrences = await eventually(async () => {
      const rows = await sql<{ id: string; state: string }>(`select id, state from broadcasts where parent_id = :id`, { id });
      return rows.length === 2 && rows.every((r) => r.state === 'completed') ? rows : undefined;
    });
    for (const o of occurrences) expect((await messagesOf(o.id)).map((m) => m.contactId)).toEqual([contact]);
    const list = (await owner.get(`/api/v1/broadcasts?parentId=${id}`)).body.items;
    expect(list.map((b: any) => b.id).sort()).toEqual(occurrences.map((o) => o.id).sort());
    expect((await owner.get(`/api/v1/broadcasts/${id}`)).body.state).toBe('scheduled');
  });
});

describe('when a broadcast starts a flow for each recipient', () => {
  it("starts one run per recipient, and the flow's message reaches each", async () => {
    const { flowId } = await publishFlow(
      api,
      workspaceId,
      doc(
        [keywordTrigger('t', ['never-said']), node('send', 'send_message', { text: 'From the flow, {{contact.name}}' })],
        [edge('t', 'out', 'send')],
      ),
      'broadcast flow',
    );
    const people = await contacts(3, { tags: ['flow-test'] });
    const id = await createAndSchedule(
      spec({ audience: { kind: 'segment', rule: { in: ['flow-test', { var: 'contact.tags' }] } }, content: { kind: 'flow', flowId } }),
    );
    await waitForBroadcastState(owner, id, 'completed');
    const runs = await sql<{ contactId: string }>(
      `select r.contact_id as "contactId" from broadcast_recipients b join runs r on r.id = b.run_id where b.broadcast_id = :id`,
      { id },
    );
    expect(runs.map((r) => r.contactId).sort()).toEqual([...people].sort());
    const texts = await eventually(async () => {
      const rows = await sql<{ text: string }>(
        `select text from messages where contact_id = any(cast(:ids as uuid[])) and direction = 'outbound' and sender = 'bot'`,
        { ids: people },
      );
      return rows.length === 3 ? rows : undefined;
    });
    expect(texts.every((t) => t.text.startsWith('From the flow, Contact'))).toBe(true);
  });
});

describe('when the pace of a paused broadcast is raised', () => {
  it('sends the rest at the new pace once resumed', async () => {
    await contacts(60, { tags: ['pace-test'] });
    // 60 a minute: batches of 10, one every 10 s; the 60 would take 50 s.
    const id = await createAndSchedule(
      spec({ audience: { kind: 'segment', rule: { in: ['pace-test', { var: 'contact.tags' }] } }, pacePerMinute: 60 }),
    );
    await eventually(async () => ((await messagesOf(id)).length >= 10 ? true : undefined));
    expect((await owner.post(`/api/v1/broadcasts/${id}/pause`, {})).status).toBe(200);
    expect((await owner.patch(`/api/v1/broadcasts/${id}`, { pacePerMinute: 6_000 })).status).toBe(200);
    const resumedAt = Date.now();
    expect((await owner.post(`/api/v1/broadcasts/${id}/resume`, {})).status).toBe(200);
    // At 6,000 a minute the five batches left are 100 ms apart.
    await waitForBroadcastState(owner, id, 'completed', 8_000);
    expect(Date.now() - resumedAt).toBeLessThan(8_000);
    expect(await messagesOf(id)).toHaveLength(60);
  });
});
