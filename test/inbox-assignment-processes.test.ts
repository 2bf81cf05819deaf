import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INBOX_TIMER_QUEUE } from '../platform/inbox/inbox-timers.ts';
import type { ApiClient } from './support/api-client.ts';
import { inviteMember, type InvitedMember } from './support/invite-member.ts';
import { eventually } from './support/eventually.ts';
import { ProcessCluster } from './support/process-cluster.ts';

/*
 * The assignment guarantee of issue 15 with real processes: 1,000 queued conversations, 10
 * agents of capacity 5, 4 worker processes all assigning (every kick reaches each of them over
 * Redis), and agents' conversations resolved at random through the API while they assign. At no
 * moment may an agent hold more than 5, and each conversation has one owner at a time.
 */

const WORKERS = 4;
const AGENTS = 10;
const CAPACITY = 5;
const CONVERSATIONS = 1_000;
const RESOLVERS = 6;
/** A resolver that finds nothing assigned for this long, with conversations left, has found a stall. */
const ASSIGNMENT_STALL_MS = 30_000;

let cluster: ProcessCluster;
let owner: ApiClient;
let workspaceId: string;
let teamId: string;
const agents: InvitedMember[] = [];

beforeAll(async () => {
  cluster = await ProcessCluster.create();
  await cluster.startApi();
  for (let i = 0; i < WORKERS; i++) cluster.spawn('worker');
  await cluster.waitForQueueWorkers(INBOX_TIMER_QUEUE, WORKERS);
  const signup = await cluster.client.post('/api/v1/auth/signup', {
    email: 'owner@routing.test',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Routing',
  });
  owner = cluster.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' });
  for (let i = 0; i < AGENTS; i++)
    agents.push(
      await inviteMember(owner, { email: `agent${i}@routing.test`, role: 'agent', name: `Agent ${i}`, password: 'password-agent' }),
    );
  const team = await owner.post('/api/v1/teams', {
    name: 'Everyone',
    strategy: 'least_busy',
    defaultCapacity: CAPACITY,
    members: agents.map((a) => ({ userId: a.userId })),
  });
  expect(team.status).toBe(201);
  teamId = team.body.id;
  // The queue, oldest first, as 1,000 hand-offs would leave it.
  await cluster.sql(
    `with c as (
       insert into contacts (id, workspace_id, phone, name)
       select gen_random_uuid(), $1, '+1555' || lpad(i::text, 7, '0'), 'Contact ' || i from generate_series(1, $4::int) i
       returning id, phone
     )
     insert into conversations (id, workspace_id, channel_id, contact_id, state, status, bot_paused, team_id, queued_at)
     select gen_random_uuid(), $1, $2, c.id, 'queued', 'pending', true, $3, now() - interval '1 hour' + (substr(c.phone, 5)::int * interval '1 millisecond') from c`,
    [workspaceId, channel.body.id, teamId, CONVERSATIONS],
  );
}, 180_000);

afterAll(async () => {
  await cluster?.cleanup();
});

/** How many of the workspace's conversations are not resolved yet. */
async function unresolved(): Promise<number> {
  const [left] = await cluster.sql<{ n: number }>(
    `select count(*)::int as n from conversations where workspace_id = $1 and state <> 'resolved'`,
    [workspaceId],
  );
  return left!.n;
}

describe('when 4 worker processes assign 1,000 queued conversations to 10 agents of capacity 5 while agents resolve at random', () => {
  it('never gives an agent more than 5 at once, and each conversation one owner', async () => {
    let samples = 0;
    let maxSeen = 0;
    let sampling = true;
    // An independent observer: each statement reads one consistent snapshot of who holds what.
    const sampler = (async () => {
      while (sampling) {
        const [row] = await cluster.sql<{ max: number | null }>(
          `select max(n)::int as max from (select count(*) as n from conversations where state = 'assigned' group by assignee_user_id) q`,
        );
        samples += 1;
        maxSeen = Math.max(maxSeen, row!.max ?? 0);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    for (const a of agents) expect((await a.client.put('/api/v1/me/availability', { availability: 'online' })).status).toBe(200);

    let resolved = 0;
    const resolvers = Array.from({ length: RESOLVERS }, async () => {
      while (resolved < CONVERSATIONS) {
        // Assigned conversations to resolve, or none when every conversation is resolved already.
        const picks = await eventually(
          async () => {
            const assigned = await cluster.sql<{ id: string }>(
              `select id from conversations where workspace_id = $1 and state = 'assigned' order by random() limit 5`,
              [workspaceId],
            );
            return assigned.length > 0 || (await unresolved()) === 0 ? assigned : undefined;
          },
          {
            timeoutMs: ASSIGNMENT_STALL_MS,
            intervalMs: 5,
            what: 'a conversation assigned to resolve',
            progress: async () => `${await unresolved()} not resolved`,
          },
        );
        if (picks.length === 0) return;
        for (const pick of picks) {
          const res = await owner.post(`/api/v1/conversations/${pick.id}/resolve`);
          if (res.status === 200) resolved += 1;
          else expect(res.status, JSON.stringify(res.body)).toBe(409);
        }
      }
    });
    await Promise.all(resolvers);
    sampling = false;
    await sampler;

    expect(resolved).toBe(CONVERSATIONS);
    expect(samples).toBeGreaterThan(10);
    expect(maxSeen).toBeLessThanOrEqual(CAPACITY);
    expect(maxSeen).toBe(CAPACITY);

    // Each conversation was assigned exactly once, and resolved from the agent it was assigned to.
    const owners = await cluster.sql<{ conversation_id: string; assigned: number; resolved_from_owner: number }>(
      `select conversation_id, count(*) filter (where to_state = 'assigned')::int as assigned,
              count(*) filter (where to_state = 'resolved' and from_assignee_user_id = (select to_assignee_user_id from conversation_events a where a.conversation_id = e.conversation_id and a.to_state = 'assigned' limit 1))::int as resolved_from_owner
         from conversation_events e where workspace_id = $1 group by conversation_id`,
      [workspaceId],
    );
    expect(owners).toHaveLength(CONVERSATIONS);
    expect(owners.filter((o) => o.assigned !== 1 || o.resolved_from_owner !== 1)).toEqual([]);

    // Replaying each agent's events in the order their row lock serialised them: never above 5.
    const replay = await cluster.sql<{ agent: string; max_load: number }>(
      `select agent, max(load)::int as max_load from (
         select agent, sum(delta) over (partition by agent order by seq) as load from (
           select seq, to_assignee_user_id as agent, 1 as delta from conversation_events where workspace_id = $1 and to_state = 'assigned'
           union all
           select seq, from_assignee_user_id, -1 from conversation_events where workspace_id = $1 and from_state = 'assigned'
         ) d
       ) l group by agent`,
      [workspaceId],
    );
    expect(replay).toHaveLength(AGENTS);
    expect(Math.max(...replay.map((r) => r.max_load))).toBe(CAPACITY);

    // The four processes all assigned.
    const byProcess = await cluster.sql<{ process: string; n: number }>(
      `select detail->>'process' as process, count(*)::int as n from conversation_events where workspace_id = $1 and to_state = 'assigned' group by 1`,
      [workspaceId],
    );
    expect(byProcess.length).toBeGreaterThanOrEqual(2);
    const loads = await cluster.sql<{ load: number }>(`select load from agent_status where workspace_id = $1`, [workspaceId]);
    expect(loads.map((l) => l.load)).toEqual(Array(AGENTS).fill(0));
    // How many resolves shared their statement with others (Inbox.resolve groups those that arrive together).
    const [grouped] = await cluster.sql<{ n: number }>(
      `select coalesce(sum(n), 0)::int as n from (select count(*) as n from conversation_events where workspace_id = $1 and to_state = 'resolved' group by xmin::text having count(*) > 1) g`,
      [workspaceId],
    );
    console.log(
      `assignment processes: ${JSON.stringify(byProcess.map((p) => p.n))}; samples: ${samples}; resolves written with others: ${grouped!.n}`,
    );
  }, 240_000);
});
