import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openOrm, type Orm } from '../platform/db/orm.ts';
import { emptyInboxAfterCommit } from '../platform/inbox/inbox-effects.ts';
import { resolveAndRefill } from '../platform/inbox/resolve-and-refill.sql.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { untilWaitingForLock } from './support/lock-wait.ts';
import { seedWorkspaceWithSandbox } from './support/seed-workspace.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * A busy inbox has dozens of resolves and assignment passes at once on a team's queue. A resolve
 * once considered only the 8 oldest queued conversations of its snapshot: when other
 * transactions held them, or took them while its lock on the agent's row waited, the freed slot
 * was left to an assignment pass (the routing bench saw half its assignments come from passes,
 * and the slot wait for them). The resolve must walk past any number of those.
 */

/** More than the 8 the resolve once looked at. */
const HELD = 12;
const QUEUED = 40;

let env: TestEnv;
let orm: Orm;
let other: pg.Client;
let workspaceId: string;
let agentId: string;
let otherAgentId: string;
let teamId: string;
let channelId: string;

beforeAll(async () => {
  env = await createTestEnv();
  orm = await openOrm(env.config.databaseUrl, { poolMax: 2 });
  other = new pg.Client({ connectionString: env.config.databaseUrl });
  await other.connect();
  const em = orm.em.fork();
  workspaceId = crypto.randomUUID();
  agentId = crypto.randomUUID();
  otherAgentId = crypto.randomUUID();
  teamId = crypto.randomUUID();
  channelId = crypto.randomUUID();
  await seedWorkspaceWithSandbox(em, { workspaceId, channelId, name: 'Contention', channelName: 'S' });
  await runSql(
    em,
    `insert into users (id, email, name, password_hash) values (:agentId, 'agent@contention.test', 'Agent', 'x'), (:otherAgentId, 'other@contention.test', 'Other', 'x')`,
    { agentId, otherAgentId },
  );
  await runSql(
    em,
    `insert into memberships (id, workspace_id, user_id, role) select gen_random_uuid(), :workspaceId, u, 'agent' from unnest(cast(:users as uuid[])) u`,
    { workspaceId, users: [agentId, otherAgentId] },
  );
  await runSql(
    em,
    `insert into teams (id, workspace_id, name, strategy, default_capacity) values (:teamId, :workspaceId, 'Support', 'round_robin', 100)`,
    { teamId, workspaceId },
  );
  await runSql(
    em,
    `insert into team_members (team_id, workspace_id, user_id) select :teamId, :workspaceId, u from unnest(cast(:users as uuid[])) u`,
    { teamId, workspaceId, users: [agentId, otherAgentId] },
  );
  await runSql(
    em,
    `insert into agent_status (workspace_id, user_id, availability, last_seen_at) select :workspaceId, u, 'online', now() from unnest(cast(:users as uuid[])) u`,
    { workspaceId, users: [agentId, otherAgentId] },
  );
}, 60_000);

afterAll(async () => {
  await other?.end();
  await orm?.close();
  await env?.cleanup();
});

/** A fresh queue of QUEUED conversations (oldest first by number) and one the agent holds; answers their ids. */
async function seed(): Promise<{ held: string; queue: string[] }> {
  const em = orm.em.fork();
  await runSql(em, `delete from conversation_events where workspace_id = :workspaceId`, { workspaceId });
  await runSql(em, `delete from conversations where workspace_id = :workspaceId`, { workspaceId });
  await runSql(em, `update agent_status set load = case when user_id = :agentId then 1 else 0 end where workspace_id = :workspaceId`, {
    workspaceId,
    agentId,
  });
  const { rows } = await testSql<{ id: string; n: number }>(
    em,
    `with c as (insert into contacts (id, workspace_id) select gen_random_uuid(), :workspaceId from generate_series(0, :n) i returning id)
     insert into conversations (id, workspace_id, channel_id, contact_id, state, status, bot_paused, team_id, assignee_user_id, queued_at)
     select gen_random_uuid(), :workspaceId, :channelId, c.id, case when n = 0 then 'assigned' else 'queued' end, case when n = 0 then 'open' else 'pending' end, true, :teamId,
            case when n = 0 then cast(:agentId as uuid) end, now() - interval '1 hour' + n * interval '1 second'
       from (select id, row_number() over () - 1 as n from c) c
     returning id, extract(epoch from queued_at)::float8 as n`,
    { workspaceId, channelId, teamId, agentId, n: QUEUED },
  );
  const sorted = rows.sort((a, b) => a.n - b.n).map((r) => r.id);
  return { held: sorted[0]!, queue: sorted.slice(1) };
}

async function resolveHeld(
  held: string,
): Promise<{ outcome: Awaited<ReturnType<typeof resolveAndRefill>>; refilledId: string | null; kicked: number }> {
  const after = emptyInboxAfterCommit();
  const outcome = await resolveAndRefill(orm.em.fork(), workspaceId, held, {
    now: new Date(),
    actor: { kind: 'user', userId: agentId },
    reason: 'resolved',
    after,
    graceMs: 60_000,
  });
  const assignment = after.events.find((e) => e.type === 'conversation' && e.toState === 'assigned');
  return { outcome, refilledId: assignment?.type === 'conversation' ? assignment.conversationId : null, kicked: after.kick.size };
}

beforeEach(async () => {
  await other.query('rollback').catch(() => undefined);
});

describe('when other assignments hold the oldest queued conversations', () => {
  it('refills the freed slot with the oldest one nobody holds instead of leaving it to a pass', async () => {
    const { held, queue } = await seed();
    // An assignment pass in another process has locked the queue's head and not committed yet.
    await other.query('begin');
    await other.query(`select id from conversations where id = any($1) for update`, [queue.slice(0, HELD)]);

    const result = await resolveHeld(held);
    await other.query('rollback');

    expect(result).toEqual({ outcome: 'refilled', refilledId: queue[HELD], kicked: 0 });
  });
});

describe("when the queue's head is taken while the resolve waits for the agent's row", () => {
  it('refills the freed slot with the oldest conversation still queued instead of leaving it to a pass', async () => {
    const { held, queue } = await seed();
    // The agent's other resolve holds their row: this resolve's snapshot is taken, then it waits.
    await other.query('begin');
    await other.query(`update agent_status set load = load where workspace_id = $1 and user_id = $2`, [workspaceId, agentId]);
    const resolving = resolveHeld(held);
    await untilWaitingForLock(other, 'the resolve waiting for the agent row');
    // Meanwhile other agents' refills take the queue's head and commit.
    const em = orm.em.fork();
    await runSql(
      em,
      `update conversations set state = 'assigned', status = 'open', assignee_user_id = :otherAgentId where id = any(cast(:ids as uuid[]))`,
      { otherAgentId, ids: queue.slice(0, HELD) },
    );
    await other.query('commit');

    expect(await resolving).toEqual({ outcome: 'refilled', refilledId: queue[HELD], kicked: 0 });
  });
});
