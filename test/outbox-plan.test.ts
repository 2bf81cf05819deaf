import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageMeter } from '../platform/billing/usage-meter.ts';
import { newId } from '../platform/ids.ts';
import { insertQueuedSql } from '../platform/pipeline/outbox.ts';
import { testSql } from './support/test-sql.ts';
import { seedWorkspaceWithSandbox } from './support/seed-workspace.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * The outbox insert runs once per drain batch and is planned at each call. Its input is a
 * recordset the planner assumes holds 100 rows; joined to `contacts` for the test flag, that
 * estimate made it hash a scan of every contact (all workspaces'), about 1 ms per call with 6,000
 * contacts in the engine benchmark and growing with the table. Each contact must be a probe of
 * its primary key whatever the table's size, with or without statistics (autovacuum may be off).
 */

const CONTACTS = 20_000;

let env: TestEnv;
let workspaceId: string;
let channelId: string;
let picked: { contactId: string; conversationId: string }[];

beforeAll(async () => {
  env = await createTestEnv();
  const em = env.orm.em.fork();
  workspaceId = newId();
  channelId = newId();
  await seedWorkspaceWithSandbox(em, { workspaceId, channelId, name: 'Plan', channelName: 'S' });
  const { rows } = await testSql<{ contactId: string; conversationId: string }>(
    em,
    `with c as (insert into contacts (id, workspace_id, phone) select gen_random_uuid(), :workspaceId, '+1555' || lpad(i::text, 7, '0') from generate_series(1, :n) i returning id)
     insert into conversations (id, workspace_id, channel_id, contact_id, status)
     select gen_random_uuid(), :workspaceId, :channelId, c.id, 'open' from c
     returning contact_id as "contactId", id as "conversationId"`,
    { workspaceId, channelId, n: CONTACTS },
  );
  picked = rows.slice(0, 4);
}, 60_000);

afterAll(async () => {
  await env?.cleanup();
});

/** The names of the tables the plan reads whole. */
function seqScans(plan: unknown): string[] {
  const found: string[] = [];
  const walk = (node: Record<string, unknown>): void => {
    if (node['Node Type'] === 'Seq Scan') found.push(String(node['Relation Name']));
    for (const child of (node['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((plan as [{ Plan: Record<string, unknown> }])[0].Plan);
  return found;
}

describe('the outbox insert on a large contacts table without statistics', () => {
  it('reads no table whole', async () => {
    const now = new Date().toISOString();
    const rows = picked.map(({ contactId, conversationId }) => ({
      id: newId(),
      workspace_id: workspaceId,
      channel_id: channelId,
      conversation_id: conversationId,
      contact_id: contactId,
      sender: 'bot',
      author_user_id: null,
      idempotency_key: `plan-${conversationId}`,
      type: 'text',
      text: 'hello',
      media: null,
      status_times: { queued: now },
      metadata: {},
      run_id: null,
      created_at: now,
    }));
    const meter = UsageMeter.unlimited();
    // Bound as the outbox binds it, and planned for these values as the outbox plans it (planEachCall).
    const { rows: explained } = await testSql<{ 'QUERY PLAN': unknown }>(
      env.orm.em.fork(),
      `explain (format json) ${insertQueuedSql(meter)}`,
      { rows: JSON.stringify(rows), conversationIds: picked.map((p) => p.conversationId), now: new Date(), limits: meter.limits },
      { planEachCall: true },
    );
    expect(seqScans(explained[0]!['QUERY PLAN'])).toEqual([]);
  });
});
