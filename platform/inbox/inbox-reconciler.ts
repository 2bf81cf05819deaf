import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { PeriodicPass } from '../runtime/periodic-pass.ts';
import { REQUEUE_REASONS, type Inbox } from './inbox.ts';

const BATCH_ROWS = 200;

/** An agent of a workspace (the lapsed ones, and those who left it while holding conversations). */
const AgentRow = z.object({ workspaceId: z.string(), userId: z.string() });
const LapsedRow = AgentRow.extend({ availability: z.string() });
const TeamIdRow = z.object({ teamId: z.string() });
const SnoozedRow = z.object({ id: z.string(), snoozedUntil: z.date() });

/**
 * Postgres is the truth; kicks and timers are signals that can be lost (a process dying between
 * commit and publish, Redis restarted without its data). Each pass re-sends them from the truth:
 * agents still holding conversations while offline or past their presence grace (a process that
 * served their inbox died without saying so) are requeued; teams with a queue and an available
 * agent with room are kicked; snoozes past their end are woken. Each action re-checks under its
 * locks, so a duplicate costs nothing.
 */
export class InboxReconciler {
  private readonly pass: PeriodicPass;

  constructor(private readonly deps: { orm: Orm; inbox: Inbox; clock: Clock; logger: Logger }) {
    this.pass = new PeriodicPass(() => this.runOnce(), { logger: deps.logger, message: 'inbox reconciler pass failed' });
  }

  start(intervalMs: number): void {
    this.pass.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.pass.stop();
  }

  async runOnce(): Promise<{ requeuedAgents: number; kicked: number; woken: number }> {
    const em = this.deps.orm.em.fork();
    const now = this.deps.clock.now();
    const presentSince = new Date(now.getTime() - this.deps.inbox.presenceGraceMs);
    const { rows: lapsed } = await runSql(
      em,
      `select workspace_id as "workspaceId", user_id as "userId", availability from agent_status
        where load > 0 and (availability = 'offline' or last_seen_at is null or last_seen_at <= cast(:presentSince as timestamptz)) limit :limit`,
      { presentSince, limit: BATCH_ROWS },
      { row: LapsedRow },
    );
    // The same words as the move this pass stands in for: going offline, or the presence timer.
    for (const a of lapsed)
      await this.deps.inbox.requeueAgent(
        a.workspaceId,
        a.userId,
        a.availability === 'offline' ? REQUEUE_REASONS.offline : REQUEUE_REASONS.lapsed,
        /* onlyIfLapsed= */ true,
      );
    // A member removed from the workspace loses their agent row with the membership: what they held goes back to the queue.
    const { rows: gone } = await runSql(
      em,
      `select distinct c.workspace_id as "workspaceId", c.assignee_user_id as "userId" from conversations c
        where c.state = 'assigned' and c.assignee_user_id is not null
          and not exists (select 1 from memberships m where m.workspace_id = c.workspace_id and m.user_id = c.assignee_user_id)
        limit :limit`,
      { limit: BATCH_ROWS },
      { row: AgentRow },
    );
    for (const a of gone) await this.deps.inbox.requeueAgent(a.workspaceId, a.userId, 'its agent left the workspace');

    const { rows: teams } = await runSql(
      em,
      `select t.id as "teamId" from teams t
        where t.strategy <> 'manual'
          and exists (select 1 from conversations c where c.team_id = t.id and c.state = 'queued')
          and exists (select 1 from team_members tm join agent_status a on a.workspace_id = tm.workspace_id and a.user_id = tm.user_id
                       where tm.team_id = t.id and a.availability = 'online' and a.last_seen_at > cast(:presentSince as timestamptz)
                         and a.load < coalesce(tm.capacity, t.default_capacity))
        limit :limit`,
      { presentSince, limit: BATCH_ROWS },
      { row: TeamIdRow },
    );
    await this.deps.inbox.kick(teams.map((t) => t.teamId));

    const { rows: snoozed } = await runSql(
      em,
      `select id, snoozed_until as "snoozedUntil" from conversations where state = 'snoozed' and snoozed_until <= cast(:now as timestamptz) order by snoozed_until limit :limit`,
      { now, limit: BATCH_ROWS },
      { row: SnoozedRow },
    );
    for (const c of snoozed) await this.deps.inbox.fireTimer({ kind: 'snooze_end', conversationId: c.id, dueAt: c.snoozedUntil });
    return { requeuedAgents: lapsed.length + gone.length, kicked: teams.length, woken: snoozed.length };
  }
}
