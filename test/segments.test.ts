import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentInvalidError } from '../engine/broadcasts/segment-invalid.error.ts';
import { scanSegment, type SegmentContact } from '../platform/broadcasts/segment-scan.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { inviteMember } from './support/invite-member.ts';

let api: TestApi;

interface SeedContact {
  name?: string | null;
  phone?: string | null;
  tags?: string[];
  attributes?: Record<string, unknown>;
  /** Postgres timestamptz text; may carry microseconds. */
  createdAt: string;
  lastSeenAt?: string;
  optedOut?: boolean;
  restricted?: boolean;
  erased?: boolean;
}

async function insertContact(workspaceId: string, c: SeedContact): Promise<string> {
  const id = newId();
  await runSql(
    api.env.orm.em.fork(),
    `insert into contacts (id, workspace_id, name, phone, tags, attributes, created_at, last_seen_at, opted_out_at, restricted_at, erased_at)
     values (:id, :workspaceId, :name, :phone, cast(:tags as text[]), cast(:attributes as jsonb), cast(:createdAt as timestamptz), cast(:lastSeenAt as timestamptz),
             case when :optedOut then now() end, case when :restricted then now() end, case when :erased then now() end)`,
    {
      id,
      workspaceId,
      name: c.name ?? null,
      phone: c.phone ?? null,
      tags: c.tags ?? [],
      attributes: JSON.stringify(c.attributes ?? {}),
      createdAt: c.createdAt,
      lastSeenAt: c.lastSeenAt ?? null,
      optedOut: c.optedOut ?? false,
      restricted: c.restricted ?? false,
      erased: c.erased ?? false,
    },
  );
  return id;
}

async function signup(name: string): Promise<{ client: ApiClient; workspaceId: string }> {
  const res = await api.client.post('/api/v1/auth/signup', {
    email: `${name}@example.com`,
    password: `password-${name}`,
    name,
    workspaceName: name,
  });
  expect(res.status).toBe(201);
  return { client: api.client.as(res.body.token), workspaceId: res.body.workspace.id };
}

const VIP = { in: ['vip', { var: 'contact.tags' }] };

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

describe('when a workspace previews a segment', () => {
  let owner: ApiClient;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const a = await signup('segments-a');
    owner = a.client;
    ids.ada = await insertContact(a.workspaceId, {
      name: 'Ada',
      phone: '+15550000001',
      tags: ['vip'],
      attributes: { plan: 'pro', age: 36 },
      createdAt: '2025-01-01 00:00:00+00',
      lastSeenAt: '2025-06-01 00:00:00+00',
    });
    ids.bob = await insertContact(a.workspaceId, {
      name: 'Bob',
      phone: '+15550000002',
      tags: ['lead'],
      attributes: { plan: 'free', age: 20 },
      createdAt: '2025-02-01 00:00:00+00',
    });
    ids.cy = await insertContact(a.workspaceId, {
      name: 'Cy',
      phone: '+15550000003',
      tags: ['vip', 'lead'],
      attributes: { plan: 'pro', age: 50 },
      createdAt: '2025-03-01 00:00:00+00',
      optedOut: true,
    });
    ids.di = await insertContact(a.workspaceId, {
      name: 'Di',
      phone: '+15550000004',
      tags: ['vip'],
      createdAt: '2025-04-01 00:00:00+00',
      restricted: true,
    });
    // Erased (its name and phone gone) and opted out before: counted once, as erased.
    ids.erased = await insertContact(a.workspaceId, { tags: ['vip'], createdAt: '2025-05-01 00:00:00+00', erased: true, optedOut: true });
    // Opted out and restricted: counted once, as opted out.
    ids.eve = await insertContact(a.workspaceId, {
      name: 'Eve',
      phone: '+15550000006',
      tags: ['vip'],
      createdAt: '2025-06-01 00:00:00+00',
      optedOut: true,
      restricted: true,
    });
    // Another workspace's contacts match every rule here; none may be counted or shown.
    const b = await signup('segments-b');
    for (let i = 0; i < 5; i++) {
      await insertContact(b.workspaceId, {
        name: 'Ada',
        phone: `+1555100000${i}`,
        tags: ['vip', 'lead'],
        attributes: { plan: 'pro', age: 40 },
        createdAt: '2024-12-01 00:00:00+00',
      });
    }
  });

  const preview = async (rule: unknown) => {
    const res = await owner.post('/api/v1/segments/preview', { rule });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as {
      count: number;
      excluded: Record<string, number>;
      sample: { id: string; name: string | null; phone: string | null; tags: string[] }[];
    };
  };
  const sampleIds = async (rule: unknown) => (await preview(rule)).sample.map((c) => c.id);

  it('matches on tags', async () => {
    expect(await sampleIds(VIP)).toEqual([ids.ada, ids.cy, ids.di, ids.erased, ids.eve]);
    expect(await sampleIds({ and: [{ in: ['vip', { var: 'contact.tags' }] }, { in: ['lead', { var: 'contact.tags' }] }] })).toEqual([
      ids.cy,
    ]);
  });

  it('matches on attributes, including a contact that lacks the attribute', async () => {
    expect(await sampleIds({ '>=': [{ var: 'contact.attributes.age' }, 30] })).toEqual([ids.ada, ids.cy]);
    expect(await sampleIds({ '==': [{ var: 'contact.attributes.plan' }, 'pro'] })).toEqual([ids.ada, ids.cy]);
    expect(await sampleIds({ missing: ['contact.attributes.plan'] })).toEqual([ids.di, ids.erased, ids.eve]);
  });

  it('matches on name and phone', async () => {
    expect(await sampleIds({ '==': [{ var: 'contact.name' }, 'Bob'] })).toEqual([ids.bob]);
    expect(await sampleIds({ in: ['0000003', { var: 'contact.phone' }] })).toEqual([ids.cy]);
    expect(await sampleIds({ '==': [{ var: 'contact.phone' }, null] })).toEqual([ids.erased]);
  });

  it('compares createdAt and lastSeenAt as ISO strings', async () => {
    expect(await sampleIds({ '<': [{ var: 'contact.createdAt' }, '2025-03-01'] })).toEqual([ids.ada, ids.bob]);
    expect(await sampleIds({ '>=': [{ var: 'contact.createdAt' }, '2025-05-01T00:00:00.000Z'] })).toEqual([ids.erased, ids.eve]);
    expect(await sampleIds({ '!!': { var: 'contact.lastSeenAt' } })).toEqual([ids.ada]);
  });

  it('counts the matching contacts a broadcast would skip, each once: erased, then opted out, then restricted', async () => {
    const body = await preview(VIP);
    expect(body.count).toBe(5);
    expect(body.excluded).toEqual({ erased: 1, opted_out: 2, restricted: 1 });
  });

  it('shows each sampled contact with its id, name, phone and tags only', async () => {
    const body = await preview({ '==': [{ var: 'contact.name' }, 'Ada'] });
    expect(body).toEqual({
      count: 1,
      excluded: { opted_out: 0, restricted: 0, erased: 0 },
      sample: [{ id: ids.ada, name: 'Ada', phone: '+15550000001', tags: ['vip'] }],
    });
  });

  it("never counts or shows another workspace's contacts", async () => {
    const body = await preview(true);
    expect(body.count).toBe(6);
    expect(body.sample.map((c) => c.id).sort()).toEqual(Object.values(ids).sort());
  });

  it('answers a rule that matches no one with zero and an empty sample', async () => {
    expect(await preview(false)).toEqual({ count: 0, excluded: { opted_out: 0, restricted: 0, erased: 0 }, sample: [] });
  });

  it('lets an agent preview, as broadcasts.read allows', async () => {
    const agent = await inviteMember(owner, {
      email: 'segments-agent@example.com',
      role: 'agent',
      name: 'Agent',
      password: 'password-agent',
    });
    const res = await agent.client.post('/api/v1/segments/preview', { rule: VIP });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(5);
  });
});

describe('when a segment rule is refused', () => {
  let owner: ApiClient;

  beforeAll(async () => {
    owner = (await signup('segments-refused')).client;
  });

  it('answers 400 with every problem, its code and its path, for a __proto__ path and a disallowed operator', async () => {
    const res = await owner.post('/api/v1/segments/preview', {
      rule: { or: [{ '==': [{ var: 'contact.attributes.__proto__.polluted' }, true] }, { log: 'x' }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(/^the segment rule has 2 problems: /);
    expect(res.body.error.details).toEqual([
      {
        code: 'jsonlogic_forbidden_path',
        message: 'the path "contact.attributes.__proto__.polluted" goes through "__proto__"',
        path: ['or', 0, '==', 0, 'var'],
      },
      { code: 'jsonlogic_operator_not_allowed', message: 'the operator "log" is not allowed', path: ['or', 1, 'log'] },
    ]);
  });

  it('answers 400 segment_variable_outside_contact for a variable that is not the contact', async () => {
    const res = await owner.post('/api/v1/segments/preview', { rule: { '==': [{ var: 'message.text' }, 'hi'] } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ code: 'segment_variable_outside_contact', path: ['==', 0, 'var'] })]);
  });

  it('answers 400 segment_rule_not_condition for a rule that is a string', async () => {
    const res = await owner.post('/api/v1/segments/preview', { rule: 'vip' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ code: 'segment_rule_not_condition' })]);
  });

  it('answers 400 naming the field when the body has no rule', async () => {
    const res = await owner.post('/api/v1/segments/preview', { rules: VIP });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain('rule');
  });
});

// Regression: a rule's size did not bound its work. This 30-node rule doubles a list at each of
// its 26 steps for every contact; one preview held the API process (every tenant's requests) for
// seconds, and 40 steps would have exhausted its memory.
describe('when a segment rule does far more work than its size', () => {
  it('refuses the preview at once, as a rule that cannot be evaluated', async () => {
    const { client: owner, workspaceId } = await signup('segments-doubling');
    await insertContact(workspaceId, { name: 'One', phone: '+15550009001', createdAt: '2025-01-01 00:00:00+00' });
    const doubling = {
      '>': [{ reduce: [Array.from({ length: 26 }, (_, i) => i), { merge: [{ var: 'accumulator' }, { var: 'accumulator' }] }, [0]] }, 1],
    };
    const asked = performance.now();
    const res = await owner.post('/api/v1/segments/preview', { rule: doubling });
    expect(performance.now() - asked).toBeLessThan(1_000);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ code: 'segment_evaluation_failed' })]);
  });
});

describe('when a segment selects on the opt-in state, the days since the last message and the channel', () => {
  let owner: ApiClient;
  const ids: Record<string, string> = {};
  let whatsapp: string;

  beforeAll(async () => {
    const w = await signup('segments-facts');
    owner = w.client;
    const em = api.env.orm.em.fork();
    const channel = async (name: string) => {
      const id = newId();
      await runSql(
        em,
        `insert into channels (id, workspace_id, kind, name, status) values (:id, :workspaceId, 'sandbox', :name, 'connected')`,
        { id, workspaceId: w.workspaceId, name },
      );
      return id;
    };
    whatsapp = await channel('Sales line');
    const support = await channel('Support line');
    const identity = (contactId: string, channelId: string, value: string) =>
      runSql(
        em,
        `insert into contact_identities (id, workspace_id, contact_id, channel_id, kind, value) values (:id, :workspaceId, :contactId, :channelId, 'external', :value)`,
        { id: newId(), workspaceId: w.workspaceId, contactId, channelId, value },
      );
    ids.recent = await insertContact(w.workspaceId, {
      name: 'Recent',
      createdAt: '2025-01-01 00:00:00+00',
      lastSeenAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
    });
    ids.old = await insertContact(w.workspaceId, {
      name: 'Old',
      createdAt: '2025-02-01 00:00:00+00',
      lastSeenAt: new Date(Date.now() - 45 * 86_400_000).toISOString(),
    });
    ids.silent = await insertContact(w.workspaceId, { name: 'Silent', createdAt: '2025-03-01 00:00:00+00' });
    await identity(ids.recent, whatsapp, 'r');
    await identity(ids.old, support, 'o');
    await identity(ids.old, whatsapp, 'o2');
    // Opted in through a keyword: a consent event, the contact not opted out.
    await runSql(
      em,
      `insert into consent_events (id, workspace_id, contact_id, action, source) values (:id, :workspaceId, :contactId, 'opt_in', 'keyword')`,
      { id: newId(), workspaceId: w.workspaceId, contactId: ids.old },
    );
  });

  const sampleIds = async (rule: unknown) => {
    const res = await owner.post('/api/v1/segments/preview', { rule });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.sample as { id: string }[]).map((c) => c.id);
  };

  it('selects the contacts who opted in, apart from those who never said', async () => {
    expect(await sampleIds({ '==': [{ var: 'contact.optIn' }, 'opted_in'] })).toEqual([ids.old]);
    expect(await sampleIds({ '==': [{ var: 'contact.optIn' }, 'unknown'] })).toEqual([ids.recent, ids.silent]);
  });

  it('selects by the whole days since the last message, who never wrote being the longest silent', async () => {
    expect(await sampleIds({ '>': [{ var: 'contact.daysSinceLastMessage' }, 30] })).toEqual([ids.old, ids.silent]);
    expect(await sampleIds({ '<=': [{ var: 'contact.daysSinceLastMessage' }, 7] })).toEqual([ids.recent]);
  });

  it('selects the contacts known on a channel', async () => {
    expect(await sampleIds({ in: [whatsapp, { var: 'contact.channels' }] })).toEqual([ids.recent, ids.old]);
  });
});

describe('when a scan reads the contacts in several batches', () => {
  let workspaceId: string;
  /** Every contact of the workspace, in (created_at, id) order. */
  let expectedOrder: { id: string; vip: boolean }[];

  beforeAll(async () => {
    workspaceId = (await signup('segments-batches')).workspaceId;
    const seeded: { id: string; vip: boolean; at: string }[] = [];
    for (let i = 0; i < 45; i++) {
      // Four contacts share each instant, and instants one microsecond apart share a millisecond:
      // a keyset cursor that lost either the id or the microseconds would repeat or skip some.
      const group = Math.floor(i / 4);
      const at = `2025-07-01 00:00:00.${String(Math.floor(group / 2)).padStart(3, '0')}00${group % 2}+00`;
      const vip = i % 3 !== 0;
      seeded.push({ id: await insertContact(workspaceId, { name: `C${i}`, tags: vip ? ['vip'] : [], createdAt: at }), vip, at });
    }
    const { rows } = await testSql<{ id: string }>(
      api.env.orm.em.fork(),
      'select id from contacts where workspace_id = :workspaceId order by created_at, id',
      { workspaceId },
    );
    expectedOrder = rows.map((r) => ({ id: r.id, vip: seeded.find((s) => s.id === r.id)!.vip }));
  });

  it('hands every match to onBatch exactly once, oldest first, in batches no larger than batchRows', async () => {
    const batches: SegmentContact[][] = [];
    const result = await scanSegment(api.env.orm.em.fork(), { workspaceId, rule: VIP, batchRows: 7 }, (matched) => {
      batches.push(matched);
    });
    const seen = batches.flat().map((c) => c.id);
    expect(seen).toEqual(expectedOrder.filter((c) => c.vip).map((c) => c.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(result).toEqual({ scanned: 45, matched: 30 });
    expect(batches.length).toBeGreaterThanOrEqual(5);
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(7);
  });

  it('reads every contact exactly once when the batch size divides the count', async () => {
    const seen: string[] = [];
    const result = await scanSegment(api.env.orm.em.fork(), { workspaceId, rule: true, batchRows: 5 }, (matched) => {
      seen.push(...matched.map((c) => c.id));
    });
    expect(seen).toEqual(expectedOrder.map((c) => c.id));
    expect(result).toEqual({ scanned: 45, matched: 45 });
  });

  it('waits for onBatch to finish before reading the next batch', async () => {
    const events: string[] = [];
    let batch = 0;
    await scanSegment(api.env.orm.em.fork(), { workspaceId, rule: true, batchRows: 10 }, async () => {
      const n = batch++;
      events.push(`start ${n}`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`end ${n}`);
    });
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4']);
  });

  it('hands the contact fields and reachability dates as Dates', async () => {
    let first: SegmentContact | undefined;
    await scanSegment(api.env.orm.em.fork(), { workspaceId, rule: true, batchRows: 1 }, (matched) => {
      first ??= matched[0];
    });
    expect(first).toEqual({
      id: expectedOrder[0]!.id,
      name: 'C0',
      phone: null,
      tags: [],
      attributes: {},
      optedOutAt: null,
      restrictedAt: null,
      erasedAt: null,
      createdAt: new Date('2025-07-01T00:00:00.000Z'),
      lastSeenAt: null,
      daysSinceLastMessage: null,
      optIn: 'unknown',
      channels: [],
    });
  });

  it('refuses an invalid rule with SegmentInvalidError before reading anything', async () => {
    let called = false;
    const scan = scanSegment(api.env.orm.em.fork(), { workspaceId, rule: { var: 'trigger.payload' }, batchRows: 5 }, () => {
      called = true;
    });
    await expect(scan).rejects.toBeInstanceOf(SegmentInvalidError);
    await expect(scan).rejects.toThrow(
      'the segment rule has 1 problem: a segment reads only the contact: "trigger.payload" is not a "contact." path',
    );
    expect(called).toBe(false);
  });
});
