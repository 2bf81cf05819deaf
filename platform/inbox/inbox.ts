import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { ContactUnreachableError } from '../../engine/errors/contact-unreachable.error.ts';
import { routeByRules, type RoutingFacts } from '../../engine/inbox/routing-rules.ts';
import type { AcceptedInbound } from '../../engine/ports/inbound-message.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { Outbox } from '../pipeline/outbox.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import type { Redis } from '../redis.ts';
import { assignQueue, MAX_ASSIGNED_PER_STATEMENT } from './assign-queue.sql.ts';
import {
  AGENT_AVAILABILITIES,
  lockAgents,
  lockAssignedTo,
  lockConversation,
  requireRoom,
  teamsOf,
  writeMove,
  type ConversationRow,
} from './conversation-moves.ts';
import { InboxBus } from './inbox-bus.ts';
import { emptyInboxAfterCommit, SYSTEM_ACTOR, type InboxActor, type InboxAfterCommit, type InboxTimer } from './inbox-effects.ts';
import { InboxTimers } from './inbox-timers.ts';
import { Team } from './team-store.ts';
import { resolveAndRefill, type RefillOutcome } from './resolve-and-refill.sql.ts';
import { resolveBatch, type ResolveItem, type ResolveItemResult } from './resolve-batch.sql.ts';
import { GroupCommit } from '../pipeline/group-commit.ts';
import { TeamAssigner } from './team-assigner.ts';
import { emitEvents } from '../webhooks/webhook-events.ts';
import { conversationMovedEvents } from '../webhooks/event-payloads.ts';

/** The most resolves one statement does; more wait for the next one. */
export const RESOLVES_PER_STATEMENT = 16;

/**
 * How long a resolve that runs alone holds the next group back (Inbox.resolveTogether): long
 * enough for resolves to gather behind its statement, short enough that one waiting for a lock
 * does not hold up the others.
 */
const ALONE_HOLDS_GROUP_MS = 50;

/**
 * One resolve of a group (Inbox.resolveTogether): what became of the freed slot once its statement
 * has committed, and its after-commit step; null when the conversation was missing or resolved.
 */
interface ResolvedTogether {
  result: Promise<{ outcome: RefillOutcome; done: Promise<void> } | null>;
}

/** Default presence grace period: an agent whose inbox is gone this long counts as offline. */
export const DEFAULT_PRESENCE_GRACE_MS = 5 * 60_000;
/** Why an agent's conversations went back to the queue, the same words whichever pass moved them. */
export const REQUEUE_REASONS = {
  offline: 'its agent went offline',
  lapsed: 'its agent disconnected longer than the grace period',
} as const;
/** The longest snooze. */
export const MAX_SNOOZE_MS = 30 * 24 * 3_600_000;

export type Availability = (typeof AGENT_AVAILABILITIES)[number];

/** A team as routing and the timers read it (TEAM_COLUMNS). */
const TeamRow = Team.pick({
  id: true,
  strategy: true,
  sticky: true,
  isDefault: true,
  handoffTimeoutSeconds: true,
  handoffTimeoutMessage: true,
  autoResolveHours: true,
});
type TeamRow = z.infer<typeof TeamRow>;

const RoutingRuleRow = z.object({ id: z.string(), teamId: z.string(), condition: z.unknown() });
/** What a routing condition reads (`RoutingFacts`); the message is left-joined: none yet, its fields are null. */
const RoutingFactsRow = z.object({
  contact: z.object({
    name: z.string().nullable(),
    phone: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    tags: z.array(z.string()),
  }),
  channel: z.object({ id: z.string(), kind: z.string() }),
  message: z.object({ text: z.string().nullable(), type: z.string().nullable() }),
}) satisfies z.ZodType<RoutingFacts>;
const LastAgentRow = z.object({ userId: z.string() });
const SeenAgentRow = z.object({ userId: z.string(), wasPresent: z.boolean(), availability: z.enum(AGENT_AVAILABILITIES) });
const LastSeenRow = z.object({ lastSeenAt: z.date().nullable() });
const WorkspaceIdRow = z.object({ workspaceId: z.string() });
const SilentSinceRow = z.object({ silentSince: z.date() });

const TEAM_COLUMNS = `t.id, t.strategy, t.sticky, t.is_default as "isDefault", t.handoff_timeout_seconds as "handoffTimeoutSeconds",
  t.handoff_timeout_message as "handoffTimeoutMessage", t.auto_resolve_hours as "autoResolveHours"`;

/** What a flow's hand_off node asks for. */
export interface HandOffRequest {
  workspaceId: string;
  conversationId: string;
  runId: string;
  teamId?: string | undefined;
  agentId?: string | undefined;
  note?: string | undefined;
}

export interface InboxDeps {
  orm: Orm;
  redis: Redis;
  queues: QueueFactory;
  logger: Logger;
  clock: Clock;
  outbox: Outbox;
  prefix: string;
  presenceGraceMs: number;
}

/**
 * The support inbox (platform/inbox/README.md): moves conversations between bot, queue and agents,
 * each move one transaction that locks the conversation (then agents) and writes its event row;
 * after commit it publishes the events to live inboxes, schedules its timers and kicks the
 * assigner of the teams whose queue may now move.
 */
export class Inbox {
  readonly bus: InboxBus;
  readonly timers: InboxTimers;
  private assigner: TeamAssigner | null = null;
  private readonly logger: Logger;
  /** Live inbox connections this process serves, per workspace and agent (several tabs count once). */
  private readonly connections = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Resolves submitted together, done by one statement (resolveTogether). */
  private readonly resolves = new GroupCommit<ResolveItem, ResolvedTogether>((items) => this.resolveTogether(items), {
    maxItems: RESOLVES_PER_STATEMENT,
    keyOf: (item) => item.conversationId,
  });

  constructor(private readonly deps: InboxDeps) {
    this.logger = deps.logger.child({ component: 'inbox' });
    this.bus = new InboxBus({ redis: deps.redis, prefix: deps.prefix, logger: this.logger });
    this.timers = new InboxTimers({ queues: deps.queues, clock: deps.clock });
  }

  get presenceGraceMs(): number {
    return this.deps.presenceGraceMs;
  }

  /** Runs the assigner, the timers and the kick subscription in this process (the worker role). */
  async startWorker(): Promise<void> {
    this.assigner = new TeamAssigner(async (teamId) => void (await this.assignTeam(teamId)), this.logger);
    this.timers.startWorker((timer) => this.fireTimer(timer));
    await this.bus.onKick((teamId) => this.assigner?.kick(teamId));
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await this.assigner?.stop();
    await this.bus.stop();
  }

  /**
   * An agent's inbox opened its live connection here: they are present while it lasts (seen now
   * and every heartbeat); when the last one closes, the grace period starts.
   */
  async connect(workspaceId: string, userId: string): Promise<() => Promise<void>> {
    const key = `${workspaceId}/${userId}`;
    this.connections.set(key, (this.connections.get(key) ?? 0) + 1);
    // Three beats per grace period (at most one per 30 s): one late beat never lapses a connected agent.
    this.heartbeat ??= setInterval(
      () => void this.beat(),
      Math.max(250, Math.min(30_000, Math.floor(this.deps.presenceGraceMs / 3))),
    ).unref();
    await this.seen(workspaceId, [userId], { connected: true });
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const left = (this.connections.get(key) ?? 1) - 1;
      if (left > 0) {
        this.connections.set(key, left);
        return;
      }
      this.connections.delete(key);
      await this.disconnected(workspaceId, userId);
    };
  }

  private async beat(): Promise<void> {
    const byWorkspace = new Map<string, string[]>();
    for (const key of this.connections.keys()) {
      const [workspaceId, userId] = key.split('/') as [string, string];
      byWorkspace.set(workspaceId, [...(byWorkspace.get(workspaceId) ?? []), userId]);
    }
    for (const [workspaceId, userIds] of byWorkspace)
      await this.seen(workspaceId, userIds, { connected: true }).catch((err: unknown) =>
        this.logger.warn({ err }, 'inbox presence heartbeat failed'),
      );
  }

  /** Resolves once no assignment pass runs in this process (tests). */
  async idle(): Promise<void> {
    await this.assigner?.idle();
  }

  /** Runs `work` in a transaction of its own, then what it decided. */
  async transact<T>(work: (em: EntityManager, after: InboxAfterCommit) => Promise<T>): Promise<T> {
    const after = emptyInboxAfterCommit();
    const result = await this.deps.orm.em.fork().transactional((em) => work(em, after));
    await this.afterCommit(after);
    return result;
  }

  /**
   * Publishes the events, schedules the timers, dispatches the sends, kicks the teams. `em`: an
   * entity manager outside any transaction the caller has at hand (else a fork of its own).
   */
  async afterCommit(after: InboxAfterCommit, em?: EntityManager): Promise<void> {
    const kicks = [...after.kick];
    if (this.assigner) for (const teamId of kicks) this.assigner.kick(teamId);
    // conversation.state_changed webhooks: recorded once the move committed (the inbox's one after-commit step).
    const work: Promise<unknown>[] = [
      this.bus.publish(after.events),
      this.timers.schedule(after.timers),
      emitEvents(em ?? this.deps.orm.em.fork(), conversationMovedEvents(after.events)),
    ];
    if (!this.assigner && kicks.length) work.push(this.bus.publishKicks(kicks));
    if (after.sends.length) work.push(this.deps.outbox.dispatch(after.sends));
    const results = await Promise.allSettled(work);
    for (const r of results)
      if (r.status === 'rejected') this.logger.warn({ err: r.reason }, 'inbox after-commit step failed; the inbox reconciler catches up');
  }

  // ---- entering the queue ----

  /**
   * A flow's hand_off, inside the run's transaction: the conversation leaves the bot for the
   * named team (or the first matching routing rule's, or the workspace's default team), straight
   * to the named agent or, on a sticky team, to the contact's last agent when they are available
   * with room; otherwise it waits in the team's queue. The note is kept on the conversation.
   */
  async handOff(em: EntityManager, req: HandOffRequest, after: InboxAfterCommit): Promise<{ applied: boolean; reason?: string }> {
    const row = await lockConversation(em, req.workspaceId, req.conversationId);
    if (row.state !== 'bot') return { applied: false, reason: `the conversation is already ${row.state}` };
    await this.enterQueue(em, row, {
      transition: 'hand_off',
      teamId: req.teamId ?? null,
      agentId: req.agentId ?? null,
      note: req.note ?? null,
      actor: { kind: 'flow', userId: null },
      reason: req.note ? `handed off by a flow: ${req.note}` : 'handed off by a flow',
      detail: { runId: req.runId },
      after,
    });
    return { applied: true };
  }

  /** The team a conversation entering the queue goes to: the one asked for, else the routing rules, else the default. */
  private async chooseTeam(em: EntityManager, row: ConversationRow, askedTeamId: string | null): Promise<TeamRow | null> {
    if (askedTeamId) {
      const { rows } = await runSql(
        em,
        `select ${TEAM_COLUMNS} from teams t where t.workspace_id = :workspaceId and t.id = :teamId`,
        { workspaceId: row.workspaceId, teamId: askedTeamId },
        { row: TeamRow },
      );
      if (rows[0]) return rows[0];
    }
    const { rows: rules } = await runSql(
      em,
      `select id, team_id as "teamId", condition from routing_rules where workspace_id = :workspaceId and enabled order by position, id`,
      { workspaceId: row.workspaceId },
      { row: RoutingRuleRow },
    );
    if (rules.length > 0) {
      const { rows } = await runSql(
        em,
        `select json_build_object('name', c.name, 'phone', c.phone, 'attributes', c.attributes, 'tags', c.tags) as contact,
                json_build_object('id', ch.id, 'kind', ch.kind) as channel,
                json_build_object('text', m.text, 'type', m.type) as message
           from conversations conv join contacts c on c.id = conv.contact_id join channels ch on ch.id = conv.channel_id
           left join lateral (select text, type from messages where conversation_id = conv.id and direction = 'inbound' order by id desc limit 1) m on true
          where conv.id = :id`,
        { id: row.id },
        { row: RoutingFactsRow },
      );
      const rule = rows[0] ? routeByRules(rules, rows[0]) : null;
      if (rule) {
        const { rows: teams } = await runSql(
          em,
          `select ${TEAM_COLUMNS} from teams t where t.id = :teamId`,
          { teamId: rule.teamId },
          { row: TeamRow },
        );
        if (teams[0]) return teams[0];
      }
    }
    const { rows } = await runSql(
      em,
      `select ${TEAM_COLUMNS} from teams t where t.workspace_id = :workspaceId and t.is_default`,
      { workspaceId: row.workspaceId },
      { row: TeamRow },
    );
    return rows[0] ?? null;
  }

  private async enterQueue(
    em: EntityManager,
    row: ConversationRow,
    opts: {
      transition: 'hand_off' | 'transfer';
      teamId: string | null;
      agentId: string | null;
      note: string | null;
      actor: InboxActor;
      reason: string;
      detail?: Record<string, unknown>;
      after: InboxAfterCommit;
      keepQueuedAt?: boolean;
    },
  ): Promise<ConversationRow> {
    const now = this.deps.clock.now();
    const team = await this.chooseTeam(em, row, opts.teamId);
    const teamId = team?.id ?? null;
    // The agent asked for, else (sticky team) the one who last had this contact, if available with room.
    let agentId = opts.agentId;
    let why = opts.reason;
    if (!agentId && team?.sticky) {
      const { rows } = await runSql(
        em,
        `select to_assignee_user_id as "userId" from conversation_events where contact_id = :contactId and to_assignee_user_id is not null order by seq desc limit 1`,
        { contactId: row.contactId },
        { row: LastAgentRow },
      );
      if (rows[0]) {
        agentId = rows[0].userId;
        why = `${opts.reason}; back to the contact's last agent`;
      }
    }
    if (agentId && agentId !== row.assigneeUserId) {
      const agents = await lockAgents(
        em,
        row.workspaceId,
        [...(row.state === 'assigned' && row.assigneeUserId ? [row.assigneeUserId] : []), agentId],
        { teamId, now, graceMs: this.deps.presenceGraceMs },
      );
      const agent = agents.get(agentId);
      const available = agent && agent.inTeam && agent.availability === 'online' && agent.present && agent.load < agent.capacity;
      if (available) {
        return writeMove(
          em,
          row,
          opts.transition,
          {
            state: 'assigned',
            assigneeUserId: agentId,
            teamId,
            queuedAt: opts.keepQueuedAt ? (row.queuedAt ?? now) : now,
            handoffNote: opts.note ?? undefined,
          },
          { now, actor: opts.actor, reason: why, detail: opts.detail ?? {}, after: opts.after },
        );
      }
    } else if (row.state === 'assigned' && row.assigneeUserId) {
      await lockAgents(em, row.workspaceId, [row.assigneeUserId], { teamId, now, graceMs: this.deps.presenceGraceMs });
    }
    const queuedAt = opts.keepQueuedAt ? (row.queuedAt ?? now) : now;
    const moved = await writeMove(
      em,
      row,
      opts.transition,
      { state: 'queued', assigneeUserId: null, teamId, queuedAt, handoffNote: opts.note ?? undefined },
      { now, actor: opts.actor, reason: opts.reason, detail: opts.detail ?? {}, after: opts.after },
    );
    if (team?.autoResolveHours)
      opts.after.timers.push({
        kind: 'auto_resolve',
        conversationId: row.id,
        dueAt: new Date(now.getTime() + team.autoResolveHours * 3_600_000),
      });
    return moved;
  }

  // ---- agent and supervisor commands (each its own transaction) ----

  /** An agent takes a conversation from the bot or the queue. */
  take(workspaceId: string, userId: string, conversationId: string, actor: InboxActor): Promise<ConversationRow> {
    return this.transact(async (em, after) => {
      const now = this.deps.clock.now();
      const row = await lockConversation(em, workspaceId, conversationId);
      if (row.state !== 'bot' && row.state !== 'queued')
        throw new ConflictError(
          row.state === 'assigned' ? 'someone already has this conversation' : `a ${row.state} conversation cannot be taken`,
          { details: { state: row.state } },
        );
      const agents = await lockAgents(em, workspaceId, [userId], { teamId: row.teamId, now, graceMs: this.deps.presenceGraceMs });
      requireRoom(agents.get(userId), { teamId: row.teamId, self: true });
      // Acting in the inbox is being present.
      await runSql(
        em,
        `update agent_status set last_seen_at = greatest(last_seen_at, cast(:now as timestamptz)) where workspace_id = :workspaceId and user_id = :userId`,
        { workspaceId, userId, now },
      );
      return writeMove(
        em,
        row,
        'take',
        { state: 'assigned', assigneeUserId: userId, queuedAt: row.queuedAt ?? now },
        { now, actor, reason: 'taken by the agent', after },
      );
    });
  }

  /** A supervisor gives a conversation to an agent (available, with room, in its team). */
  assign(workspaceId: string, conversationId: string, agentId: string, actor: InboxActor): Promise<ConversationRow> {
    return this.transact(async (em, after) => {
      const now = this.deps.clock.now();
      const row = await lockConversation(em, workspaceId, conversationId);
      if (row.state === 'resolved') throw new ConflictError('a resolved conversation cannot be assigned: reopen it first');
      const holders = row.state === 'assigned' && row.assigneeUserId ? [row.assigneeUserId] : [];
      const agents = await lockAgents(em, workspaceId, [...holders, agentId], {
        teamId: row.teamId,
        now,
        graceMs: this.deps.presenceGraceMs,
      });
      requireRoom(agents.get(agentId), {
        teamId: row.teamId,
        self: false,
        alreadyOwns: row.state === 'assigned' && row.assigneeUserId === agentId,
      });
      return writeMove(
        em,
        row,
        'assign',
        { state: 'assigned', assigneeUserId: agentId, queuedAt: row.queuedAt ?? now },
        {
          now,
          actor,
          reason: row.assigneeUserId && row.state === 'assigned' ? 'reassigned by a supervisor' : 'assigned by a supervisor',
          after,
        },
      );
    });
  }

  /** Moves a conversation to another team's queue, or straight to one of its agents. */
  transfer(
    workspaceId: string,
    conversationId: string,
    to: { teamId: string; agentId?: string | undefined; note?: string | undefined },
    actor: InboxActor,
  ): Promise<ConversationRow> {
    return this.transact(async (em, after) => {
      const now = this.deps.clock.now();
      const row = await lockConversation(em, workspaceId, conversationId);
      const { rows } = await runSql(
        em,
        `select id from teams where workspace_id = :workspaceId and id = :teamId`,
        { workspaceId, teamId: to.teamId },
        { row: IdRow },
      );
      if (!rows[0]) throw new NotFoundError('team', to.teamId);
      if (row.state === 'bot' || row.state === 'resolved')
        throw new ConflictError(`a ${row.state} conversation cannot be transferred: hand it off or reopen it first`);
      if (to.agentId) {
        const holders = row.state === 'assigned' && row.assigneeUserId ? [row.assigneeUserId] : [];
        const agents = await lockAgents(em, workspaceId, [...holders, to.agentId], {
          teamId: to.teamId,
          now,
          graceMs: this.deps.presenceGraceMs,
        });
        requireRoom(agents.get(to.agentId), {
          teamId: to.teamId,
          self: false,
          alreadyOwns: row.state === 'assigned' && row.assigneeUserId === to.agentId,
        });
        return writeMove(
          em,
          row,
          'transfer',
          { state: 'assigned', assigneeUserId: to.agentId, teamId: to.teamId, handoffNote: to.note ?? undefined },
          { now, actor, reason: to.note ? `transferred: ${to.note}` : 'transferred', after },
        );
      }
      if (row.state === 'assigned' && row.assigneeUserId)
        await lockAgents(em, workspaceId, [row.assigneeUserId], { teamId: null, now, graceMs: this.deps.presenceGraceMs });
      return writeMove(
        em,
        row,
        'transfer',
        { state: 'queued', assigneeUserId: null, teamId: to.teamId, queuedAt: row.queuedAt ?? now, handoffNote: to.note ?? undefined },
        { now, actor, reason: to.note ? `transferred to the team's queue: ${to.note}` : "transferred to the team's queue", after },
      );
    });
  }

  /**
   * Resolves a conversation and refills the slot it frees; 409 when it is resolved already. The
   * resolves of this process that arrive together are done by one statement (resolveBatch, one
   * commit for all of them: see resolveTogether), one arriving alone by its own (resolveAndRefill).
   */
  async resolve(workspaceId: string, conversationId: string, actor: InboxActor, reason = 'resolved'): Promise<RefillOutcome> {
    const resolved = await (await this.resolves.submit({ workspaceId, conversationId, actor, reason })).result;
    if (!resolved) {
      const { rows } = await runSql(this.deps.orm.em.fork(), `select 1 from conversations where id = :id and workspace_id = :workspaceId`, {
        id: conversationId,
        workspaceId,
      });
      if (rows.length === 0) throw new NotFoundError('conversation', conversationId);
      throw new ConflictError('the conversation is already resolved');
    }
    await resolved.done;
    return resolved.outcome;
  }

  /**
   * One statement for the resolves submitted together (GroupCommit: while it runs, the next ones
   * gather), then one after-commit step for all of them, which the next statement does not wait
   * for (each caller does). A resolve that arrives alone, those the batch leaves alone (see
   * resolve-batch.sql.ts) and, when the batch statement fails, each of its resolves run the
   * one-conversation statement, which may wait for a lock: the next group waits for none of those
   * (a lone resolve holds it back ALONE_HOLDS_GROUP_MS at most), and a failing resolve fails only
   * its own caller.
   */
  private async resolveTogether(items: ResolveItem[]): Promise<ResolvedTogether[]> {
    const now = this.deps.clock.now();
    if (items.length === 1) {
      const result = this.resolveAlone(items[0]!, now);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        result.catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, ALONE_HOLDS_GROUP_MS))),
      ]).finally(() => clearTimeout(timer));
      return [{ result }];
    }
    const em = this.deps.orm.em.fork();
    const batch = await resolveBatch(em, items, { now, graceMs: this.deps.presenceGraceMs }).catch((err: unknown) => {
      this.logger.warn({ err, resolves: items.length }, 'inbox: a batch of resolves failed; each is resolved alone');
      return items.map((): ResolveItemResult => ({ kind: 'alone' }));
    });
    const merged = emptyInboxAfterCommit();
    for (const r of batch)
      if (r.kind === 'resolved') {
        merged.events.push(...r.after.events);
        for (const t of r.after.kick) merged.kick.add(t);
        merged.timers.push(...r.after.timers);
        merged.sends.push(...r.after.sends);
      }
    const done = this.afterCommit(merged, em);
    return batch.map((r, i) => {
      if (r.kind === 'resolved') return { result: Promise.resolve({ outcome: r.outcome, done }) };
      const result = this.resolveAlone(items[i]!, now);
      // Its caller awaits it once this group's results are handed out: not an unhandled rejection meanwhile.
      result.catch(() => undefined);
      return { result };
    });
  }

  /** One resolve by the one-conversation statement (resolveAndRefill), its after-commit step started once it committed. */
  private async resolveAlone(item: ResolveItem, now: Date): Promise<{ outcome: RefillOutcome; done: Promise<void> } | null> {
    const after = emptyInboxAfterCommit();
    const em = this.deps.orm.em.fork();
    const outcome = await resolveAndRefill(em, item.workspaceId, item.conversationId, {
      now,
      actor: item.actor,
      reason: item.reason,
      after,
      graceMs: this.deps.presenceGraceMs,
    });
    return outcome ? { outcome, done: this.afterCommit(after, em) } : null;
  }

  /**
   * Reopens a resolved conversation: to the calling agent when they have room, else to its
   * team's queue. Refused while the contact has a newer open conversation on the channel.
   */
  reopen(workspaceId: string, conversationId: string, actor: InboxActor): Promise<ConversationRow> {
    return this.transact(async (em, after) => {
      const now = this.deps.clock.now();
      const row = await lockConversation(em, workspaceId, conversationId);
      if (row.state !== 'resolved') throw new ConflictError(`a ${row.state} conversation is not resolved`);
      const { rows: newer } = await runSql(
        em,
        `select id from conversations where channel_id = :channelId and contact_id = :contactId and status <> 'resolved' and id <> :id`,
        { channelId: row.channelId, contactId: row.contactId, id: row.id },
        { row: IdRow },
      );
      if (newer[0])
        throw new ConflictError('the contact has a newer open conversation on this channel: continue there', {
          details: { conversationId: newer[0].id },
        });
      if (actor.userId) {
        const agents = await lockAgents(em, workspaceId, [actor.userId], { teamId: row.teamId, now, graceMs: this.deps.presenceGraceMs });
        const me = agents.get(actor.userId);
        if (me && me.inTeam && me.load < me.capacity)
          return writeMove(
            em,
            row,
            'reopen',
            { state: 'assigned', assigneeUserId: actor.userId, queuedAt: now },
            { now, actor, reason: 'reopened', after },
          );
      }
      return writeMove(
        em,
        row,
        'reopen',
        { state: 'queued', assigneeUserId: null, queuedAt: now },
        { now, actor, reason: 'reopened', after },
      );
    });
  }

  snooze(workspaceId: string, conversationId: string, until: Date, actor: InboxActor): Promise<ConversationRow> {
    const now = this.deps.clock.now();
    if (until.getTime() <= now.getTime()) throw new ValidationError('snooze until a time in the future');
    if (until.getTime() - now.getTime() > MAX_SNOOZE_MS) throw new ValidationError('snooze for at most 30 days');
    return this.transact(async (em, after) => {
      const row = await lockConversation(em, workspaceId, conversationId);
      if (row.state === 'assigned' && row.assigneeUserId)
        await lockAgents(em, workspaceId, [row.assigneeUserId], { teamId: null, now, graceMs: this.deps.presenceGraceMs });
      const moved = await writeMove(
        em,
        row,
        'snooze',
        { state: 'snoozed', assigneeUserId: row.assigneeUserId, snoozedUntil: until },
        { now, actor, reason: `snoozed until ${until.toISOString()}`, after },
      );
      after.timers.push({ kind: 'snooze_end', conversationId, dueAt: until });
      return moved;
    });
  }

  /** Wakes a snoozed conversation: back to its agent when available with room, else to the queue. */
  private async wake(em: EntityManager, row: ConversationRow, reason: string, after: InboxAfterCommit): Promise<void> {
    const now = this.deps.clock.now();
    if (row.assigneeUserId) {
      const agents = await lockAgents(em, row.workspaceId, [row.assigneeUserId], {
        teamId: row.teamId,
        now,
        graceMs: this.deps.presenceGraceMs,
      });
      const agent = agents.get(row.assigneeUserId);
      if (agent && agent.availability === 'online' && agent.present && agent.load < agent.capacity) {
        await writeMove(
          em,
          row,
          'wake',
          { state: 'assigned', assigneeUserId: row.assigneeUserId },
          { now, actor: SYSTEM_ACTOR, reason, after },
        );
        return;
      }
    }
    await writeMove(
      em,
      row,
      'wake',
      { state: 'queued', assigneeUserId: null },
      { now, actor: SYSTEM_ACTOR, reason: `${reason}; its agent is not available`, after },
    );
  }

  // ---- availability and presence ----

  /**
   * Sets the agent's availability. Online: they count as present from now (their inbox's live
   * connection keeps it so) and their teams' queues are assigned. Offline: their open
   * conversations go back to the queue. Away: they keep what they have and get nothing new.
   */
  setAvailability(workspaceId: string, userId: string, availability: Availability): Promise<void> {
    return this.transact(async (em, after) => {
      const now = this.deps.clock.now();
      await lockAgents(em, workspaceId, [userId], { teamId: null, now, graceMs: this.deps.presenceGraceMs });
      await runSql(
        em,
        `update agent_status set availability = :availability, availability_changed_at = case when availability = :availability then availability_changed_at else cast(:now as timestamptz) end,
                last_seen_at = case when :availability = 'online' then cast(:now as timestamptz) else last_seen_at end
          where workspace_id = :workspaceId and user_id = :userId`,
        { workspaceId, userId, availability, now },
      );
      if (availability === 'online') for (const team of await teamsOf(em, workspaceId, userId)) after.kick.add(team);
      if (availability === 'online')
        after.timers.push({ kind: 'presence_lapse', workspaceId, userId, dueAt: new Date(now.getTime() + this.deps.presenceGraceMs + 1) });
    }).then(async () => {
      if (availability === 'offline') await this.requeueAgent(workspaceId, userId, REQUEUE_REASONS.offline);
    });
  }

  /** Marks the agent seen now (their inbox's live connection opened or is still open). */
  async seen(workspaceId: string, userIds: readonly string[], opts: { connected: boolean }): Promise<void> {
    if (userIds.length === 0) return;
    const now = this.deps.clock.now();
    const after = emptyInboxAfterCommit();
    const em = this.deps.orm.em.fork();
    const { rows } = await runSql(
      em,
      `with before as (select user_id, last_seen_at from agent_status where workspace_id = :workspaceId and user_id = any(cast(:ids as uuid[])))
       update agent_status a set last_seen_at = cast(:now as timestamptz)
         from before where a.workspace_id = :workspaceId and a.user_id = before.user_id
       returning a.user_id as "userId", a.availability, coalesce(before.last_seen_at > cast(:presentSince as timestamptz), false) as "wasPresent"`,
      { workspaceId, ids: [...userIds], now, presentSince: new Date(now.getTime() - this.deps.presenceGraceMs) },
      { row: SeenAgentRow },
    );
    // An online agent coming back (or connecting first) lets their teams' queues move.
    for (const r of rows)
      if (opts.connected && !r.wasPresent && r.availability === 'online')
        for (const t of await teamsOf(em, workspaceId, r.userId)) after.kick.add(t);
    await this.afterCommit(after);
  }

  /** The agent's inbox closed: if it does not come back within the grace period, they count as offline. */
  async disconnected(workspaceId: string, userId: string): Promise<void> {
    await this.seen(workspaceId, [userId], { connected: false });
    const dueAt = new Date(this.deps.clock.now().getTime() + this.deps.presenceGraceMs + 1);
    await this.timers.schedule([{ kind: 'presence_lapse', workspaceId, userId, dueAt }]);
  }

  /** Returns the agent's assigned conversations to their queues (offline, or presence lapsed). */
  async requeueAgent(workspaceId: string, userId: string, reason: string, onlyIfLapsed = false): Promise<number> {
    return this.transact(async (em, after) => {
      const now = this.deps.clock.now();
      const rows = await lockAssignedTo(em, workspaceId, userId);
      const agent = (await lockAgents(em, workspaceId, [userId], { teamId: null, now, graceMs: this.deps.presenceGraceMs })).get(userId);
      if (onlyIfLapsed && agent && agent.present && agent.availability !== 'offline') return 0;
      for (const row of rows)
        await writeMove(
          em,
          row,
          'requeue',
          { state: 'queued', assigneeUserId: null, queuedAt: row.queuedAt ?? now },
          { now, actor: SYSTEM_ACTOR, reason, after },
        );
      return rows.length;
    });
  }

  // ---- the assigner and timers ----

  /** Assigns a team's queue until no agent has room or nothing waits. */
  async assignTeam(teamId: string): Promise<number> {
    let total = 0;
    for (;;) {
      // One statement, committed on its own: its locks are held only while it runs.
      const after = emptyInboxAfterCommit();
      const em = this.deps.orm.em.fork();
      const assigned = await assignQueue(em, teamId, {
        now: this.deps.clock.now(),
        graceMs: this.deps.presenceGraceMs,
        after,
      });
      await this.afterCommit(after, em);
      total += assigned.length;
      if (assigned.length < MAX_ASSIGNED_PER_STATEMENT) return total;
    }
  }

  /** Kicks a team's assignment here (worker) or in the workers (api-only process). */
  async kick(teamIds: Iterable<string>): Promise<void> {
    const after = emptyInboxAfterCommit();
    for (const t of teamIds) after.kick.add(t);
    await this.afterCommit(after);
  }

  async fireTimer(timer: InboxTimer): Promise<void> {
    if (timer.kind === 'presence_lapse') {
      const { rows } = await runSql(
        this.deps.orm.em.fork(),
        `select last_seen_at as "lastSeenAt" from agent_status where workspace_id = :workspaceId and user_id = :userId`,
        timer,
        { row: LastSeenRow },
      );
      const seen = rows[0]?.lastSeenAt?.getTime() ?? 0;
      if (seen > this.deps.clock.now().getTime() - this.deps.presenceGraceMs) return;
      await this.requeueAgent(timer.workspaceId, timer.userId, REQUEUE_REASONS.lapsed, /* onlyIfLapsed= */ true);
      return;
    }
    const { rows } = await runSql(
      this.deps.orm.em.fork(),
      `select workspace_id as "workspaceId" from conversations where id = :id`,
      { id: timer.conversationId },
      { row: WorkspaceIdRow },
    );
    if (!rows[0]) return;
    const workspaceId = rows[0].workspaceId;
    await this.transact(async (em, after) => {
      const now = this.deps.clock.now();
      const row = await lockConversation(em, workspaceId, timer.conversationId);
      if (timer.kind === 'snooze_end') {
        if (row.state === 'snoozed' && row.snoozedUntil && row.snoozedUntil.getTime() <= now.getTime() + 1_000)
          await this.wake(em, row, 'snooze ended', after);
        return;
      }
      const team = row.teamId
        ? (await runSql(em, `select ${TEAM_COLUMNS} from teams t where t.id = :teamId`, { teamId: row.teamId }, { row: TeamRow })).rows[0]
        : undefined;
      if (timer.kind === 'handoff_timeout') {
        // Still in the wait this timer was set for: every move out of the queue (and back) changes state_changed_at.
        if (row.state !== 'queued' || row.stateChangedAt.getTime() !== timer.waitStartedAt.getTime()) return;
        const minutes = team?.handoffTimeoutSeconds ? Math.round(team.handoffTimeoutSeconds / 60) : null;
        await writeMove(
          em,
          row,
          'timeout',
          { state: 'bot', assigneeUserId: null, queuedAt: null },
          { now, actor: SYSTEM_ACTOR, reason: `no agent took it within ${minutes ?? '?'} minutes; the bot answers again`, after },
        );
        if (team?.handoffTimeoutMessage) {
          try {
            const queued = await this.deps.outbox.queueSend(em, {
              workspaceId,
              conversationId: row.id,
              type: 'text',
              text: team.handoffTimeoutMessage,
              idempotencyKey: `handoff-timeout:${row.id}:${timer.waitStartedAt.getTime()}`,
              sender: 'bot',
            });
            if (queued.created) after.sends.push(queued);
          } catch (err) {
            if (!(err instanceof ContactUnreachableError)) throw err;
          }
        }
        return;
      }
      // auto_resolve: after N hours of the contact's silence while a human has it.
      if (row.state !== 'queued' && row.state !== 'assigned' && row.state !== 'snoozed') return;
      if (!team?.autoResolveHours) return;
      const { rows: facts } = await runSql(
        em,
        `select greatest(coalesce(last_inbound_at, queued_at, state_changed_at), coalesce(queued_at, state_changed_at), coalesce(snoozed_until, state_changed_at)) as "silentSince" from conversations where id = :id`,
        { id: row.id },
        { row: SilentSinceRow },
      );
      const due = facts[0]!.silentSince.getTime() + team.autoResolveHours * 3_600_000;
      if (due > now.getTime() || row.state === 'snoozed') {
        after.timers.push({ kind: 'auto_resolve', conversationId: row.id, dueAt: new Date(Math.max(due, now.getTime() + 1_000)) });
        return;
      }
      if (row.state === 'assigned' && row.assigneeUserId)
        await lockAgents(em, workspaceId, [row.assigneeUserId], { teamId: null, now, graceMs: this.deps.presenceGraceMs });
      await writeMove(
        em,
        row,
        'resolve',
        { state: 'resolved', assigneeUserId: row.assigneeUserId },
        { now, actor: SYSTEM_ACTOR, reason: `resolved after ${team.autoResolveHours} hours without a message from the contact`, after },
      );
    });
  }

  // ---- messages ----

  /** A new inbound message: live inboxes hear of it, and a snoozed conversation wakes. */
  readonly onInboundAccepted = (accepted: AcceptedInbound): Promise<void> => {
    // Not awaited: the inbound pipeline answers its caller without waiting for live inboxes.
    if (!accepted.duplicate)
      void this.inboundArrived(accepted).catch((err: unknown) =>
        this.logger.warn({ err, conversationId: accepted.conversationId }, 'inbox: an inbound message was not handled'),
      );
    return Promise.resolve();
  };

  private async inboundArrived(accepted: AcceptedInbound): Promise<void> {
    await this.messageAdded({
      workspaceId: accepted.workspaceId,
      conversationId: accepted.conversationId,
      messageId: accepted.messageId,
      direction: 'inbound',
    });
    // Known from the statement that stored the message: no look-up per inbound message. The lock below re-checks it.
    if (!accepted.conversationSnoozed) return;
    await this.transact(async (tem, after) => {
      const row = await lockConversation(tem, accepted.workspaceId, accepted.conversationId);
      if (row.state === 'snoozed') await this.wake(tem, row, 'the contact wrote', after);
    });
  }

  /** Tells live inboxes about a new message in a conversation. */
  async messageAdded(m: {
    workspaceId: string;
    conversationId: string;
    messageId: string;
    direction: 'inbound' | 'outbound';
  }): Promise<void> {
    await this.bus
      .publish([
        { type: 'message', workspaceId: m.workspaceId, conversationId: m.conversationId, messageId: m.messageId, direction: m.direction },
      ])
      .catch((err: unknown) => this.logger.warn({ err }, 'inbox message event not published'));
  }
}
