import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrm, type Orm } from '../platform/db/orm.ts';
import { emptyInboxAfterCommit } from '../platform/inbox/inbox-effects.ts';
import { resolveAndRefill } from '../platform/inbox/resolve-and-refill.sql.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { seedWorkspaceWithSandbox } from './support/seed-workspace.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * The resolve is the hot path of a busy inbox (bench/README.md, `routing`): one prepared
 * statement per resolve. Planning that statement costs PostgreSQL about as much as running it,
 * so each connection must plan it once (a generic plan), not at every resolve. A LIMIT bound as a
 * parameter once kept PostgreSQL from ever choosing the generic plan: 0 generic, all custom.
 */

const RESOLVES = 12;
/** Queues as long as a busy inbox's (the bench's 10,000 over 5 teams): the plans weighed depend on the table's statistics. */
const QUEUED = 10_000;
const TEAMS = 5;

let env: TestEnv;
/** One connection: the prepared statement's counters are per connection. */
let single: Orm;
let workspaceId: string;
let agentId: string;
let assigned: string[];
let queued: string[];

beforeAll(async () => {
  env = await createTestEnv();
  single = await openOrm(env.config.databaseUrl, { poolMax: 1 });
  const em = single.em.fork();
  workspaceId = crypto.randomUUID();
  agentId = crypto.randomUUID();
  const channelId = crypto.randomUUID();
  const teamIds = Array.from({ length: TEAMS }, () => crypto.randomUUID());
  const teamId = teamIds[0]!;
  await seedWorkspaceWithSandbox(em, { workspaceId, channelId, name: 'Plan', channelName: 'S' });
  await runSql(em, `insert into users (id, email, name, password_hash) values (:agentId, 'agent@plan.test', 'Agent', 'x')`, { agentId });
  await runSql(
    em,
    `insert into memberships (id, workspace_id, user_id, role) values (gen_random_uuid(), :workspaceId, :agentId, 'agent')`,
    { workspaceId, agentId },
  );
  await runSql(
    em,
    `insert into teams (id, workspace_id, name, strategy, default_capacity) select t.id, :workspaceId, 'Team ' || t.n, 'round_robin', :capacity from unnest(cast(:teamIds as uuid[])) with ordinality t(id, n)`,
    { teamIds, workspaceId, capacity: RESOLVES },
  );
  await runSql(em, `insert into team_members (team_id, workspace_id, user_id) values (:teamId, :workspaceId, :agentId)`, {
    teamId,
    workspaceId,
    agentId,
  });
  await runSql(
    em,
    `insert into agent_status (workspace_id, user_id, availability, last_seen_at, load) values (:workspaceId, :agentId, 'online', now(), :load)`,
    { workspaceId, agentId, load: RESOLVES },
  );
  // The agent (in the first team) holds RESOLVES conversations; QUEUED more wait over the teams, oldest first by number.
  const { rows } = await testSql<{ id: string; state: string }>(
    em,
    `with c as (insert into contacts (id, workspace_id, phone) select gen_random_uuid(), :workspaceId, '+1555000' || lpad(i::text, 5, '0') from generate_series(1, :n) i returning id, phone)
     insert into conversations (id, workspace_id, channel_id, contact_id, state, status, bot_paused, team_id, assignee_user_id, queued_at)
     select gen_random_uuid(), :workspaceId, :channelId, c.id, s.state, s.status, true, (cast(:teamIds as uuid[]))[1 + substr(c.phone, 9)::int % :teams], s.assignee, now() - interval '1 hour' + substr(c.phone, 9)::int * interval '1 second'
       from c cross join lateral (select case when substr(c.phone, 9)::int <= :held and substr(c.phone, 9)::int % :teams = 0 then 'assigned' else 'queued' end as state) k
       cross join lateral (select k.state, case k.state when 'assigned' then 'open' else 'pending' end as status, case k.state when 'assigned' then cast(:agentId as uuid) end as assignee) s
     returning id, state`,
    { workspaceId, channelId, teamIds, teams: TEAMS, agentId, n: TEAMS * RESOLVES + QUEUED, held: TEAMS * RESOLVES },
  );
  await runSql(em, `analyze`);
  assigned = rows.filter((r) => r.state === 'assigned').map((r) => r.id);
  const { rows: waiting } = await testSql<{ id: string }>(
    em,
    `select id from conversations where team_id = :teamId and state = 'queued' order by queued_at limit :n`,
    { teamId, n: RESOLVES },
  );
  queued = waiting.map((r) => r.id);
}, 60_000);

afterAll(async () => {
  await single?.close();
  await env?.cleanup();
});

describe('when an agent resolves conversation after conversation on one connection', () => {
  it('refills each freed slot with the oldest waiting conversation, and plans the statement once instead of at every resolve', async () => {
    const refilled: string[] = [];
    for (const id of assigned) {
      const after = emptyInboxAfterCommit();
      expect(
        await resolveAndRefill(single.em.fork(), workspaceId, id, {
          now: new Date(),
          actor: { kind: 'user', userId: agentId },
          reason: 'resolved',
          after,
          graceMs: 60_000,
        }),
      ).toBe('refilled');
      const assignment = after.events.find((e) => e.type === 'conversation' && e.toState === 'assigned');
      if (assignment?.type === 'conversation') refilled.push(assignment.conversationId);
      expect(after.kick.size).toBe(0);
    }
    expect(refilled).toEqual(queued);

    const { rows } = await testSql<{ genericPlans: number; customPlans: number }>(
      single.em.fork(),
      `select generic_plans::int as "genericPlans", custom_plans::int as "customPlans" from pg_prepared_statements where statement like :pattern`,
      // Bound, so that this query's own text does not match.
      { pattern: '%refill_teams as (%' },
    );
    expect(rows).toHaveLength(1);
    // PostgreSQL plans for the values 5 times, then keeps the generic plan when it is no dearer.
    expect(rows[0]!.customPlans).toBeLessThanOrEqual(5);
    expect(rows[0]!.genericPlans).toBe(RESOLVES - rows[0]!.customPlans);
  });
});
