import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../engine/clock.ts';
import { readUsage, UsageFolder } from '../platform/billing/usage-deltas.ts';
import { UsageMeter } from '../platform/billing/usage-meter.ts';
import { reconcileUsage } from '../platform/billing/usage-reconcile.ts';
import { newId } from '../platform/ids.ts';
import { Outbox } from '../platform/pipeline/outbox.ts';
import type { OutboundRequest } from '../platform/pipeline/outbound-request.ts';
import { testSql } from './support/test-sql.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

const logger = pino({ level: 'silent' });

let env: TestEnv;
let queues: QueueFactory;
let now = new Date('2026-12-10T12:00:00Z');
const clock: Clock = { now: () => now };
let outbox: Outbox;
let folder: UsageFolder;

interface Fixture {
  workspaceId: string;
  conversationId: string;
}

async function sql<T = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(env.orm.em.fork(), text, bindings)).rows;
}

/** A workspace whose usage period is December 2026, with one conversation. */
async function workspace(): Promise<Fixture> {
  const f = { workspaceId: newId(), channelId: newId(), contactId: newId(), conversationId: newId() };
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Usage test')`, f);
  await sql(
    `update billing_usage set period_start = '2026-12-01T00:00:00Z', period_end = '2027-01-01T00:00:00Z' where workspace_id = :workspaceId`,
    { workspaceId: f.workspaceId },
  );
  await sql(
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`,
    f,
  );
  await sql(`insert into contacts (id, workspace_id, phone) values (:contactId, :workspaceId, '+15551230000')`, f);
  await sql(
    `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
    f,
  );
  return f;
}

function send(f: Fixture, overrides: Partial<OutboundRequest> = {}): Promise<{ messageId: string; created: boolean }> {
  return outbox.send({
    workspaceId: f.workspaceId,
    conversationId: f.conversationId,
    type: 'text',
    text: 'automated',
    idempotencyKey: newId(),
    sender: 'bot',
    ...overrides,
  });
}

async function shown(workspaceId: string): Promise<{ automated: number; agent: number; periodStart: string }> {
  const u = await readUsage(env.orm.em.fork(), workspaceId, clock);
  return { automated: u.automatedMessages, agent: u.agentMessages, periodStart: u.periodStart.toISOString() };
}

async function row(workspaceId: string): Promise<{ automated: number; agent: number; deltas: number }> {
  return (
    await sql<{ automated: number; agent: number; deltas: number }>(
      `select automated_messages as automated, agent_messages as agent, (select count(*)::int from billing_usage_deltas d where d.workspace_id = u.workspace_id) as deltas
         from billing_usage u where workspace_id = :workspaceId`,
      { workspaceId },
    )
  )[0]!;
}

beforeAll(async () => {
  env = await createTestEnv();
  queues = new QueueFactory(env.redis, env.config.redisPrefix);
  outbox = new Outbox({ orm: env.orm, queues, logger, clock, meter: UsageMeter.unlimited() });
  folder = new UsageFolder({ orm: env.orm, logger });
});

afterAll(async () => {
  await queues?.close();
  await env?.cleanup();
});

describe('when billing is off (no plan limits)', () => {
  it('counts each send as a delta without touching the usage row, and the usage read adds the deltas', async () => {
    now = new Date('2026-12-10T12:00:00Z');
    const f = await workspace();
    await send(f);
    await send(f);
    await send(f, { sender: 'agent' });
    expect(await row(f.workspaceId)).toEqual({ automated: 0, agent: 0, deltas: 3 });
    expect(await shown(f.workspaceId)).toEqual({ automated: 2, agent: 1, periodStart: '2026-12-01T00:00:00.000Z' });
  });

  it('never counts a retried send twice (same idempotency key)', async () => {
    now = new Date('2026-12-10T12:00:00Z');
    const f = await workspace();
    const key = newId();
    expect((await send(f, { idempotencyKey: key })).created).toBe(true);
    expect((await send(f, { idempotencyKey: key })).created).toBe(false);
    expect((await shown(f.workspaceId)).automated).toBe(1);
  });

  it('folds the deltas into the usage row, and the read shows the same usage before and after', async () => {
    now = new Date('2026-12-10T12:00:00Z');
    const f = await workspace();
    for (let i = 0; i < 3; i++) await send(f);
    const before = await shown(f.workspaceId);
    await folder.foldAll();
    expect(await row(f.workspaceId)).toEqual({ automated: 3, agent: 0, deltas: 0 });
    expect(await shown(f.workspaceId)).toEqual(before);
  });

  it('rolls the period when deltas were counted after its end: the new period starts from those alone', async () => {
    now = new Date('2026-12-31T23:59:00Z');
    const f = await workspace();
    await send(f);
    await send(f);
    now = new Date('2027-01-01T00:01:00Z');
    await send(f);
    // Read before the fold: the period that contains now, with the delta counted in it.
    expect(await shown(f.workspaceId)).toEqual({ automated: 1, agent: 0, periodStart: '2027-01-01T00:00:00.000Z' });
    await folder.foldAll();
    const [period] = await sql<{ start: string }>(
      `select to_char(period_start at time zone 'UTC', 'YYYY-MM-DD') as start from billing_usage where workspace_id = :workspaceId`,
      { workspaceId: f.workspaceId },
    );
    expect(period!.start).toBe('2027-01-01');
    expect(await row(f.workspaceId)).toEqual({ automated: 1, agent: 0, deltas: 0 });
    expect(await shown(f.workspaceId)).toEqual({ automated: 1, agent: 0, periodStart: '2027-01-01T00:00:00.000Z' });
  });

  it('is reconciled from the messages table, the unfolded deltas replaced by the recount', async () => {
    now = new Date();
    const f = await workspace();
    // The messages' own creation times decide the recount: a period around now.
    await sql(
      `update billing_usage set period_start = now() - interval '1 day', period_end = now() + interval '1 day' where workspace_id = :workspaceId`,
      { workspaceId: f.workspaceId },
    );
    await send(f);
    await send(f);
    await sql(`update billing_usage set automated_messages = 40 where workspace_id = :workspaceId`, { workspaceId: f.workspaceId });
    const { before, after } = await reconcileUsage(env.orm.em.fork(), f.workspaceId);
    expect(before.automatedMessages).toBe(42);
    expect(after.automatedMessages).toBe(2);
    expect(await row(f.workspaceId)).toEqual({ automated: 2, agent: 0, deltas: 0 });
  });
});
