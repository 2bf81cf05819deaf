import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../engine/clock.ts';
import { ConflictError } from '../engine/errors/app-error.ts';
import { openOrm, type Orm } from '../platform/db/orm.ts';
import { Inbox } from '../platform/inbox/inbox.ts';
import type { ConversationMoved } from '../platform/inbox/inbox-effects.ts';
import { resolveBatch, type ResolveItem, type ResolveItemResult } from '../platform/inbox/resolve-batch.sql.ts';
import { createLogger } from '../platform/logger.ts';
import { Outbox } from '../platform/pipeline/outbox.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { untilWaitingForLock } from './support/lock-wait.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { seedWorkspaceWithSandbox } from './support/seed-workspace.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * Resolves that arrive together are done by one statement (resolve-batch.sql.ts, grouped by
 * Inbox.resolve): several agents of one team freeing slots at once, one agent freeing several.
 * Each freed slot must still go to the oldest waiting conversation, never over capacity and
 * never to two agents; a conversation or agent another transaction holds must not make the
 * statement wait (it is resolved alone after), nor an agent of several teams be refilled by rank.
 */

const QUEUED = 40;
const CAPACITY = 3;

let env: TestEnv;
let orm: Orm;
let other: pg.Client;
let inbox: Inbox;
let queues: QueueFactory;
let workspaceId: string;
let channelId: string;
/** Round robin, capacity 3: ana, ben, cleo. */
let teamId: string;
/** A second assigning team, with dan only in it and cleo in both. */
let otherTeamId: string;
const agents: Record<'ana' | 'ben' | 'cleo' | 'dan', string> = { ana: '', ben: '', cleo: '', dan: '' };

beforeAll(async () => {
  env = await createTestEnv();
  orm = await openOrm(env.config.databaseUrl, { poolMax: 6 });
  other = new pg.Client({ connectionString: env.config.databaseUrl });
  await other.connect();
  const logger = createLogger('silent');
  queues = new QueueFactory(env.redis, env.config.redisPrefix);
  const outbox = new Outbox({ orm, queues, logger, clock: systemClock });
  inbox = new Inbox({
    orm,
    redis: env.redis,
    queues,
    logger,
    clock: systemClock,
    outbox,
    prefix: env.config.redisPrefix,
    presenceGraceMs: 60_000,
  });
  const em = orm.em.fork();
  workspaceId = crypto.randomUUID();
  channelId = crypto.randomUUID();
  teamId = crypto.randomUUID();
  otherTeamId = crypto.randomUUID();
  for (const name of Object.keys(agents) as (keyof typeof agents)[]) agents[name] = crypto.randomUUID();
  const users = Object.values(agents);
  await seedWorkspaceWithSandbox(em, { workspaceId, channelId, name: 'Batch', channelName: 'S' });
  await runSql(
    em,
    `insert into users (id, email, name, password_hash) select u, u || '@batch.test', 'Agent', 'x' from unnest(cast(:users as uuid[])) u`,
    { users },
  );
  await runSql(
    em,
    `insert into memberships (id, workspace_id, user_id, role) select gen_random_uuid(), :workspaceId, u, 'agent' from unnest(cast(:users as uuid[])) u`,
    { workspaceId, users },
  );
  await runSql(
    em,
    `insert into teams (id, workspace_id, name, strategy, default_capacity) values (:teamId, :workspaceId, 'Support', 'round_robin', :capacity), (:otherTeamId, :workspaceId, 'Billing', 'least_busy', :capacity)`,
    { teamId, otherTeamId, workspaceId, capacity: CAPACITY },
  );
  await runSql(
    em,
    `insert into team_members (team_id, workspace_id, user_id, last_turn)
     values (:teamId, :workspaceId, :ana, 1), (:teamId, :workspaceId, :ben, 2), (:teamId, :workspaceId, :cleo, 3), (:otherTeamId, :workspaceId, :cleo, 0), (:otherTeamId, :workspaceId, :dan, 0)`,
    { teamId, otherTeamId, workspaceId, ...agents },
  );
  await runSql(
    em,
    `insert into agent_status (workspace_id, user_id, availability, last_seen_at) select :workspaceId, u, 'online', now() + interval '1 day' from unnest(cast(:users as uuid[])) u`,
    { workspaceId, users },
  );
}, 60_000);

afterAll(async () => {
  await other?.end();
  await inbox?.stop();
  await queues?.close(2_000);
  await orm?.close();
  await env?.cleanup();
});

beforeEach(async () => {
  await other.query('rollback').catch(() => undefined);
});

/**
 * A fresh inbox: each agent holds `held[agent]` conversations of their team (dan's of the other
 * team), and QUEUED wait in each team, oldest first by number. Answers the ids.
 */
async function seed(held: Partial<Record<keyof typeof agents, number>>): Promise<{
  holds: Record<keyof typeof agents, string[]>;
  queue: string[];
  otherQueue: string[];
}> {
  const em = orm.em.fork();
  await runSql(em, `delete from conversation_events where workspace_id = :workspaceId`, { workspaceId });
  await runSql(em, `delete from conversations where workspace_id = :workspaceId`, { workspaceId });
  await runSql(em, `delete from contacts where workspace_id = :workspaceId`, { workspaceId });
  const holds = { ana: [], ben: [], cleo: [], dan: [] } as Record<keyof typeof agents, string[]>;
  for (const name of Object.keys(agents) as (keyof typeof agents)[]) {
    const n = held[name] ?? 0;
    await runSql(em, `update agent_status set load = :n where workspace_id = :workspaceId and user_id = :userId`, {
      n,
      workspaceId,
      userId: agents[name],
    });
    for (let i = 0; i < n; i++)
      holds[name].push(await insertConversation(name === 'dan' ? otherTeamId : teamId, 'assigned', agents[name], -7_200 + i));
  }
  const queue: string[] = [];
  const otherQueue: string[] = [];
  for (let i = 0; i < QUEUED; i++) {
    queue.push(await insertConversation(teamId, 'queued', null, -3_600 + i));
    otherQueue.push(await insertConversation(otherTeamId, 'queued', null, -3_600 + i));
  }
  return { holds, queue, otherQueue };
}

async function insertConversation(
  team: string,
  state: 'queued' | 'assigned',
  assignee: string | null,
  queuedSecondsAgo: number,
): Promise<string> {
  const em = orm.em.fork();
  const { rows } = await testSql<{ id: string }>(
    em,
    `with c as (insert into contacts (id, workspace_id) values (gen_random_uuid(), :workspaceId) returning id)
     insert into conversations (id, workspace_id, channel_id, contact_id, state, status, bot_paused, team_id, assignee_user_id, queued_at)
     select gen_random_uuid(), :workspaceId, :channelId, c.id, :state, case when :state = 'assigned' then 'open' else 'pending' end, true, :team,
            cast(:assignee as uuid), now() + :seconds * interval '1 second'
       from c returning id`,
    { workspaceId, channelId, state, team, assignee, seconds: queuedSecondsAgo },
  );
  return rows[0]!.id;
}

function items(ids: string[], by = agents.ana): ResolveItem[] {
  return ids.map((conversationId) => ({ workspaceId, conversationId, actor: { kind: 'user' as const, userId: by }, reason: 'resolved' }));
}

function batch(ids: string[]): Promise<ResolveItemResult[]> {
  return resolveBatch(orm.em.fork(), items(ids), { now: new Date(), graceMs: 60_000 });
}

/** The refill each result names: [agent, conversation], or null. */
function refills(results: ResolveItemResult[]): ([string | null, string] | null)[] {
  return results.map((r) => {
    if (r.kind !== 'resolved') return null;
    const e = r.after.events.find((x): x is ConversationMoved => x.type === 'conversation' && x.toState === 'assigned');
    return e ? [e.toAssigneeUserId, e.conversationId] : null;
  });
}

async function loads(): Promise<Record<string, number>> {
  const { rows } = await testSql<{ userId: string; load: number; held: number }>(
    orm.em.fork(),
    `select a.user_id as "userId", a.load, (select count(*)::int from conversations c where c.assignee_user_id = a.user_id and c.state = 'assigned') as held
       from agent_status a where a.workspace_id = :workspaceId`,
    { workspaceId },
  );
  // The load column always says what the agent holds.
  for (const r of rows) expect(r.load, r.userId).toBe(r.held);
  return Object.fromEntries(rows.map((r) => [r.userId, r.load]));
}

describe('when several agents of a team resolve at once, one of them two conversations', () => {
  it('refills every freed slot in one statement with the oldest waiting conversations, one each, in the round-robin order', async () => {
    const { holds, queue } = await seed({ ana: 3, ben: 3 });
    const results = await batch([holds.ana[0]!, holds.ben[0]!, holds.ana[1]!]);

    expect(results.map((r) => r.kind === 'resolved' && r.outcome)).toEqual(['refilled', 'refilled', 'refilled']);
    // Each agent's first freed slot before anyone's second; ana's turn (1) before ben's (2).
    const given = refills(results);
    expect(new Set(given.map((g) => g![1]))).toEqual(new Set(queue.slice(0, 3)));
    const byAgent = (agent: string) => given.filter((g) => g![0] === agent).map((g) => g![1]);
    expect(new Set(byAgent(agents.ana))).toEqual(new Set([queue[0], queue[2]]));
    expect(byAgent(agents.ben)).toEqual([queue[1]]);
    expect(await loads()).toMatchObject({ [agents.ana]: 3, [agents.ben]: 3 });

    const { rows: events } = await testSql<{ to: string; n: number; transactions: number }>(
      orm.em.fork(),
      `select to_state as "to", count(*)::int as n, count(distinct xmin::text)::int as transactions from conversation_events where workspace_id = :workspaceId group by 1 order by 1`,
      { workspaceId },
    );
    // Three resolves and three assignments, all written by one transaction.
    expect(events).toEqual([
      { to: 'assigned', n: 3, transactions: 1 },
      { to: 'resolved', n: 3, transactions: 1 },
    ]);
  });
});

describe("when an agent's capacity was lowered below their load", () => {
  it('refills only the slots that keep them within it', async () => {
    const { holds } = await seed({ ana: 3, ben: 1, dan: 3 });
    await runSql(orm.em.fork(), `update team_members set capacity = 2 where user_id = any(cast(:ids as uuid[]))`, {
      ids: [agents.ana, agents.dan],
    });
    try {
      const results = await batch([holds.ana[0]!, holds.ana[1]!, holds.ben[0]!, holds.dan[0]!]);
      // ana frees 2 (3 → 1) and may have 2: one more. ben frees their one and gets one back. dan
      // frees 1 (3 → 2), still at 2: nothing new.
      const outcomes = results.map((r) => r.kind === 'resolved' && r.outcome);
      expect(outcomes.slice(0, 2).sort()).toEqual(['no_room', 'refilled']);
      expect(outcomes.slice(2)).toEqual(['refilled', 'no_room']);
      expect(await loads()).toMatchObject({ [agents.ana]: 2, [agents.ben]: 1, [agents.dan]: 2 });
    } finally {
      await runSql(orm.em.fork(), `update team_members set capacity = null where workspace_id = :workspaceId`, { workspaceId });
    }
  });
});

describe('when the queue is shorter than the slots freed together', () => {
  it('gives what waits oldest first and leaves the other slots to a pass', async () => {
    const { holds, queue } = await seed({ ana: 2, ben: 2 });
    await runSql(
      orm.em.fork(),
      `update conversations set state = 'resolved', status = 'resolved', bot_paused = false where id = any(cast(:ids as uuid[]))`,
      {
        ids: queue.slice(2),
      },
    );
    const results = await batch([...holds.ana, ...holds.ben]);
    expect(results.filter((r) => r.kind === 'resolved' && r.outcome === 'refilled')).toHaveLength(2);
    expect(new Set(refills(results).flatMap((g) => (g ? [g[1]] : [])))).toEqual(new Set(queue.slice(0, 2)));
    // The two slots left unfilled kick the team's pass.
    expect(results.filter((r) => r.kind === 'resolved' && r.outcome === 'queue_empty' && r.after.kick.has(teamId))).toHaveLength(2);
    expect(Object.values(await loads()).reduce((a, b) => a + b, 0)).toBe(2);
  });
});

describe('when a queued conversation is resolved in the same batch as a slot of its team frees', () => {
  it('does not give the conversation being resolved to the freed slot', async () => {
    const { holds, queue } = await seed({ ana: 1 });
    const results = await batch([queue[0]!, holds.ana[0]!]);
    expect(results.map((r) => r.kind === 'resolved' && r.outcome)).toEqual(['no_slot', 'refilled']);
    expect(refills(results)[1]).toEqual([agents.ana, queue[1]]);
    const { rows } = await testSql<{ state: string }>(orm.em.fork(), `select state from conversations where id = :id`, { id: queue[0] });
    expect(rows[0]!.state).toBe('resolved');
  });
});

describe('when another transaction holds a conversation or an agent of the batch', () => {
  it('does not wait: it resolves the others and leaves those to be resolved alone', async () => {
    const { holds, queue } = await seed({ ana: 2, ben: 1, cleo: 1 });
    await other.query('begin');
    await other.query(`select id from conversations where id = $1 for update`, [holds.ana[1]]);
    await other.query(`select user_id from agent_status where workspace_id = $1 and user_id = $2 for update`, [workspaceId, agents.ben]);
    let timer: NodeJS.Timeout | undefined;
    const results = await Promise.race([
      batch([holds.ana[0]!, holds.ana[1]!, holds.ben[0]!]),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the batch waited for a lock')), 5_000))),
    ]).finally(() => clearTimeout(timer));
    await other.query('rollback');
    expect(results.map((r) => r.kind)).toEqual(['resolved', 'alone', 'alone']);
    expect(refills(results)[0]).toEqual([agents.ana, queue[0]]);
  });

  it('resolves the held ones once released, through Inbox.resolve, and refills their slots', async () => {
    const { holds, queue } = await seed({ ana: 2, ben: 1 });
    await other.query('begin');
    await other.query(`select id from conversations where id = $1 for update`, [holds.ana[1]]);
    const resolving = Promise.all(
      [holds.ana[0]!, holds.ana[1]!, holds.ben[0]!].map((id) => inbox.resolve(workspaceId, id, { kind: 'user', userId: agents.ana })),
    );
    // The held one, left out of the batch, is resolved alone and waits for its row.
    await untilWaitingForLock(other, 'the held conversation resolved alone, waiting for its row');
    await other.query('rollback');
    expect((await resolving).sort()).toEqual(['refilled', 'refilled', 'refilled']);
    const { rows } = await testSql<{ id: string; state: string }>(
      orm.em.fork(),
      `select id, state from conversations where id = any(cast(:ids as uuid[])) order by queued_at`,
      { ids: [...holds.ana, ...holds.ben, ...queue.slice(0, 4)] },
    );
    expect(rows.map((r) => r.state)).toEqual(['resolved', 'resolved', 'resolved', 'assigned', 'assigned', 'assigned', 'queued']);
    expect(await loads()).toMatchObject({ [agents.ana]: 2, [agents.ben]: 1 });
  });
});

describe('when a resolve waits for a conversation another transaction holds', () => {
  it('does not hold up the resolves of the process that come after it', async () => {
    const { holds } = await seed({ ana: 3, ben: 1 });
    await other.query('begin');
    await other.query(`select id from conversations where id = $1 for update`, [holds.ana[0]]);
    let waitingDone = false;
    const waiting = inbox.resolve(workspaceId, holds.ana[0]!, { kind: 'user', userId: agents.ana }).finally(() => (waitingDone = true));
    await untilWaitingForLock(other, 'the resolve of the held conversation waiting for its row');
    // One resolve with another of the held agent, and one with a conversation of their own.
    const after = await Promise.all(
      [holds.ana[1]!, holds.ben[0]!].map((id) => inbox.resolve(workspaceId, id, { kind: 'user', userId: agents.ana })),
    );
    expect(after).toEqual(['refilled', 'refilled']);
    expect(waitingDone).toBe(false);
    await other.query('rollback');
    expect(await waiting).toBe('refilled');
    expect(await loads()).toMatchObject({ [agents.ana]: 3, [agents.ben]: 1 });
  });
});

describe('when an agent of the batch is in two assigning teams', () => {
  it("leaves their resolve alone, which gives the slot to the oldest of their teams' queues", async () => {
    const { holds, queue, otherQueue } = await seed({ cleo: 1, dan: 1 });
    // The other team's queue is older at its head.
    await runSql(orm.em.fork(), `update conversations set queued_at = queued_at - interval '1 day' where id = any(cast(:ids as uuid[]))`, {
      ids: otherQueue.slice(0, 2),
    });
    const results = await batch([holds.cleo[0]!, holds.dan[0]!]);
    expect(results.map((r) => r.kind)).toEqual(['alone', 'resolved']);
    // dan (the other team only) took its oldest.
    expect(refills(results)[1]).toEqual([agents.dan, otherQueue[0]]);

    expect(await inbox.resolve(workspaceId, holds.cleo[0]!, { kind: 'user', userId: agents.cleo })).toBe('refilled');
    const { rows } = await testSql<{ id: string }>(
      orm.em.fork(),
      `select id from conversations where assignee_user_id = :cleo and state = 'assigned'`,
      { cleo: agents.cleo },
    );
    // The oldest still waiting in either of cleo's teams: the other team's, older than their first team's head.
    expect(rows.map((r) => r.id)).toEqual([otherQueue[1]]);
    expect(queue).toHaveLength(QUEUED);
  });
});

describe('when the same conversation is resolved twice at once through Inbox.resolve', () => {
  it('resolves it once and answers 409 to the other', async () => {
    const { holds } = await seed({ ana: 1 });
    const both = await Promise.allSettled([
      inbox.resolve(workspaceId, holds.ana[0]!, { kind: 'user', userId: agents.ana }),
      inbox.resolve(workspaceId, holds.ana[0]!, { kind: 'user', userId: agents.ana }),
    ]);
    expect(both.map((b) => b.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failed = both.find((b) => b.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toBeInstanceOf(ConflictError);
    const { rows } = await testSql<{ n: number }>(
      orm.em.fork(),
      `select count(*)::int as n from conversation_events where conversation_id = :id and to_state = 'resolved'`,
      { id: holds.ana[0] },
    );
    expect(rows[0]!.n).toBe(1);
  });
});

describe('when resolves of many sizes arrive on one connection', () => {
  it('plans the batch statement once (a generic plan) instead of at every batch', async () => {
    const single = await openOrm(env.config.databaseUrl, { poolMax: 1 });
    try {
      await seed({ ana: 3, ben: 3 });
      const sizes = [2, 3, 1, 2, 4, 1, 2, 3, 2, 2, 3, 1, 2, 2];
      for (const size of sizes) {
        const { rows } = await testSql<{ id: string; a: string }>(
          single.em.fork(),
          `select id, assignee_user_id as a from conversations where workspace_id = :workspaceId and state = 'assigned' and team_id = :teamId order by queued_at limit :n`,
          { workspaceId, teamId, n: size },
        );
        const results = await resolveBatch(single.em.fork(), items(rows.map((r) => r.id)), { now: new Date(), graceMs: 60_000 });
        expect(results.every((r) => r.kind === 'resolved' && r.outcome === 'refilled')).toBe(true);
      }
      const { rows } = await testSql<{ genericPlans: number; customPlans: number }>(
        single.em.fork(),
        `select generic_plans::int as "genericPlans", custom_plans::int as "customPlans" from pg_prepared_statements where statement like :pattern`,
        { pattern: '%jsonb_to_recordset(%refill_teams as (%' },
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.customPlans).toBeLessThanOrEqual(5);
      expect(rows[0]!.genericPlans).toBe(sizes.length - rows[0]!.customPlans);
    } finally {
      await single.close();
    }
  });
});
