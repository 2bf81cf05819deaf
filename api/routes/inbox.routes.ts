import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { InboxEvent } from '../../platform/inbox/inbox-effects.ts';
import { AVAILABILITIES, AvailabilityDto, InboxAgentDto, InboxOverviewDto, type InboxStreamEventDto } from '../dto/inbox.dto.ts';
import { defineRoute, type AuthContext } from '../route.ts';
import { personOf, seesAll } from './conversation-access.ts';

/** How often an idle stream sends a comment line, so that proxies keep it open. */
const STREAM_PING_MS = 25_000;
/** How often a stream re-reads the agent's teams (a team change reaches open streams within this). */
const TEAMS_REFRESH_MS = 30_000;

/** An agent's availability and load (an agent without a row is offline). */
const AgentStatusRow = z.object({ availability: z.enum(AVAILABILITIES), load: z.number(), lastSeenAt: z.date().nullable() });

/** A team the viewer is a member of. */
const TeamIdRow = z.object({ teamId: z.string() });

/** Who may see a conversation: its team and assignee (neither, in the queue of no team). */
const ConversationOwnersRow = z.object({ teamId: z.string().nullable(), assigneeUserId: z.string().nullable() });

/** An agent of the workspace's teams: availability offline and load 0 without a status row; the most capacity of their teams. */
const InboxAgentRow = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  availability: z.enum(AVAILABILITIES),
  connected: z.boolean(),
  load: z.number(),
  capacity: z.number(),
  teamIds: z.array(z.string()),
});

/** A team's figures; the waits are null when no conversation is queued, or none was taken today. */
const TeamFiguresRow = z.object({
  teamId: z.string(),
  name: z.string(),
  queued: z.number(),
  assigned: z.number(),
  longestWaitSeconds: z.number().nullable(),
  overSla: z.number(),
  waitP50Seconds: z.number().nullable(),
  waitP90Seconds: z.number().nullable(),
});

async function availabilityOf(
  em: EntityManager,
  workspaceId: string,
  userId: string,
  graceMs: number,
  now: Date,
): Promise<z.infer<typeof AvailabilityDto>> {
  const { rows } = await runSql(
    em,
    `select availability, load, last_seen_at as "lastSeenAt" from agent_status where workspace_id = :workspaceId and user_id = :userId`,
    { workspaceId, userId },
    { row: AgentStatusRow },
  );
  const r = rows[0] ?? { availability: 'offline' as const, load: 0, lastSeenAt: null };
  const { lastSeenAt } = r;
  return {
    availability: r.availability,
    load: r.load,
    lastSeenAt: lastSeenAt?.toISOString() ?? null,
    connected: lastSeenAt !== null && lastSeenAt.getTime() > now.getTime() - graceMs,
  };
}

/** Which events a viewer's stream carries: supervisors all; an agent those of their conversations, their teams and no team. */
async function eventFilter(
  em: EntityManager,
  auth: AuthContext,
): Promise<{ wants(e: InboxEvent): Promise<boolean>; refresh(): Promise<void> }> {
  const all = seesAll(auth);
  let teams = new Set<string>();
  const refresh = async () => {
    if (all || !auth.userId) return;
    const { rows } = await runSql(
      em.fork(),
      `select team_id as "teamId" from team_members where workspace_id = :workspaceId and user_id = :userId`,
      { workspaceId: auth.workspaceId, userId: auth.userId },
      { row: TeamIdRow },
    );
    teams = new Set(rows.map((r) => r.teamId));
  };
  await refresh();
  const visible = (teamId: string | null, assignees: (string | null)[]) =>
    teamId === null || teams.has(teamId) || (auth.userId !== null && assignees.includes(auth.userId));
  return {
    refresh,
    async wants(e) {
      if (all) return true;
      if (e.type === 'conversation') return visible(e.teamId, [e.fromAssigneeUserId, e.toAssigneeUserId]);
      const { rows } = await runSql(
        em.fork(),
        `select team_id as "teamId", assignee_user_id as "assigneeUserId" from conversations where id = :id and workspace_id = :workspaceId`,
        { id: e.conversationId, workspaceId: auth.workspaceId },
        { row: ConversationOwnersRow },
      );
      return rows[0] ? visible(rows[0].teamId, [rows[0].assigneeUserId]) : false;
    },
  };
}

export const inboxRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/me/availability',
    summary: 'Your availability in the support inbox, whether your inbox is connected, and your open conversations',
    tag: 'inbox',
    auth: 'inbox.work',
    response: AvailabilityDto,
    async handler({ deps, em, auth }) {
      return availabilityOf(em, auth.workspaceId, personOf(auth), deps.inbox.presenceGraceMs, deps.clock.now());
    },
  }),
  defineRoute({
    method: 'put',
    path: '/v1/me/availability',
    summary:
      'Set your availability: online (you get conversations while your inbox is open), away (you keep yours, get nothing new), offline (yours go back to the queue)',
    tag: 'inbox',
    auth: 'inbox.work',
    body: z.strictObject({ availability: z.enum(AVAILABILITIES) }),
    response: AvailabilityDto,
    exampleBody: { availability: 'online' },
    async handler({ deps, em, auth, body }) {
      const userId = personOf(auth);
      await deps.inbox.setAvailability(auth.workspaceId, userId, body.availability);
      return availabilityOf(em, auth.workspaceId, userId, deps.inbox.presenceGraceMs, deps.clock.now());
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/inbox/agents',
    summary: 'Agents of the support teams with their availability, connection, open conversations and capacity (supervisors)',
    tag: 'inbox',
    auth: 'inbox.supervise',
    response: z.object({ items: z.array(InboxAgentDto) }),
    async handler({ deps, em, auth }) {
      const since = new Date(deps.clock.now().getTime() - deps.inbox.presenceGraceMs);
      const { rows } = await runSql(
        em,
        `select tm.user_id as "userId", u.name, u.email, coalesce(a.availability, 'offline') as availability,
                coalesce(a.last_seen_at > cast(:since as timestamptz), false) as connected, coalesce(a.load, 0) as load,
                max(coalesce(tm.capacity, t.default_capacity))::int as capacity, array_agg(tm.team_id order by tm.team_id) as "teamIds"
           from team_members tm join teams t on t.id = tm.team_id join users u on u.id = tm.user_id
           left join agent_status a on a.workspace_id = tm.workspace_id and a.user_id = tm.user_id
          where tm.workspace_id = :workspaceId
          group by tm.user_id, u.name, u.email, a.availability, a.last_seen_at, a.load
          order by u.email`,
        { workspaceId: auth.workspaceId, since },
        { row: InboxAgentRow },
      );
      return { items: rows };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/inbox/overview',
    summary:
      "Per team: queue length, longest wait, open conversations, conversations waiting longer than the target (slaSeconds), and today's p50/p90 wait before an agent had it (supervisors)",
    tag: 'inbox',
    auth: 'inbox.supervise',
    query: z.object({
      slaSeconds: z.coerce
        .number()
        .int()
        .min(1)
        .max(7 * 86_400)
        .default(300),
    }),
    response: InboxOverviewDto,
    async handler({ deps, em, auth, query }) {
      const now = deps.clock.now();
      const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
      const { rows } = await runSql(
        em,
        `select t.id as "teamId", t.name,
                (select count(*)::int from conversations c where c.team_id = t.id and c.state = 'queued') as queued,
                (select count(*)::int from conversations c where c.team_id = t.id and c.state = 'assigned') as assigned,
                (select extract(epoch from cast(:now as timestamptz) - min(c.queued_at))::float8 from conversations c where c.team_id = t.id and c.state = 'queued') as "longestWaitSeconds",
                (select count(*)::int from conversations c where c.team_id = t.id and c.state = 'queued' and c.queued_at < cast(:now as timestamptz) - make_interval(secs => :slaSeconds)) as "overSla",
                waits.p50 as "waitP50Seconds", waits.p90 as "waitP90Seconds"
           from teams t
           left join lateral (
             select percentile_cont(0.5) within group (order by w)::float8 as p50, percentile_cont(0.9) within group (order by w)::float8 as p90
               from (select extract(epoch from e.created_at - c.queued_at) as w
                       from conversation_events e join conversations c on c.id = e.conversation_id
                      where e.workspace_id = t.workspace_id and e.team_id = t.id and e.to_state = 'assigned' and e.from_state in ('queued', 'bot')
                        and e.created_at >= cast(:dayStart as timestamptz) and c.queued_at is not null and e.created_at >= c.queued_at) ws
           ) waits on true
          where t.workspace_id = :workspaceId
          order by t.name`,
        { workspaceId: auth.workspaceId, now, slaSeconds: query.slaSeconds, dayStart },
        { row: TeamFiguresRow },
      );
      return { teams: rows };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/inbox/events',
    summary:
      'Live updates for your inbox (server-sent events): `conversation` (state or owner changed) and `message` (a new message), for the conversations you may see; keeps you present while open',
    tag: 'inbox',
    auth: 'conversations.read',
    stream: true,
    async handler({ deps, em, auth, req, res }) {
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      const filter = await eventFilter(em, auth);
      let chain = Promise.resolve();
      const unsubscribe = await deps.inbox.bus.subscribe(auth.workspaceId, (event) => {
        // One at a time, in order: a message event's lookup must not overtake the next event.
        chain = chain
          .then(async () => {
            if (res.writableEnded || !(await filter.wants(event))) return;
            // What the editor reads (api/dto/inbox.dto.ts): the compiler checks the bus's events are it.
            const data: z.input<typeof InboxStreamEventDto> = event;
            res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
          })
          .catch((err: unknown) => deps.logger.warn({ err }, 'inbox stream event not written'));
      });
      const release =
        auth.userId && countsAsPresent(auth) ? await deps.inbox.connect(auth.workspaceId, auth.userId) : async () => undefined;
      res.write(`retry: 3000\nevent: ready\ndata: {}\n\n`);
      const ping = setInterval(() => res.write(': ping\n\n'), STREAM_PING_MS);
      const teams = setInterval(() => void filter.refresh().catch(() => undefined), TEAMS_REFRESH_MS);
      await new Promise<void>((resolve) => req.on('close', () => resolve()));
      clearInterval(ping);
      clearInterval(teams);
      await unsubscribe();
      await release();
      res.end();
      return undefined;
    },
  }),
];

/** Only people who work the inbox count as present through their stream. */
function countsAsPresent(auth: AuthContext): boolean {
  return auth.actorKind === 'user';
}
