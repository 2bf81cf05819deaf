import type { Job } from 'bullmq';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import type { Flow } from '../../engine/flows/flow.schema.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import { QUICK_STALL_DETECTION, type QueueFactory } from '../queues/queue-factory.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { emptyAfterCommit, type AfterCommit } from './after-commit.ts';
import type { FlowCache } from './flow-cache.ts';
import type { RunExecutor } from './run-executor.ts';

/** BullMQ job schedulers (one per schedule trigger) add their jobs here. */
export const SCHEDULE_QUEUE = 'engine-schedules';
interface ScheduleJobData {
  workspaceId: string;
  flowId: string;
  nodeId: string;
}

function schedulerId(workspaceId: string, flowId: string, nodeId: string): string {
  return `schedule:${workspaceId}:${flowId}:${nodeId}`;
}

const ACTIVE_FLOW_SQL = `select f.id as "flowId", v.id as "versionId", f.webhook_token_hash as "webhookTokenHash"
         from flows f join flow_versions v on v.flow_id = f.id and v.version = f.published_version
        where f.id = :flowId and f.active and f.deleted_at is null and (cast(:workspaceId as uuid) is null or f.workspace_id = cast(:workspaceId as uuid))`;
/** An active flow's published version; `webhookTokenHash` is null until a webhook token is made. */
const ActiveFlowRow = z.object({ flowId: z.string(), versionId: z.string(), webhookTokenHash: z.string().nullable() });
type ActiveFlowRow = z.infer<typeof ActiveFlowRow>;

const FLOW_WORKSPACE_SQL = `select workspace_id as "workspaceId" from flows where id = :flowId`;
const FlowWorkspaceRow = z.object({ workspaceId: z.string() });

const SCHEDULED_FLOWS_SQL = `select f.id as "flowId", v.id as "versionId", w.timezone
         from flows f join flow_versions v on v.flow_id = f.id and v.version = f.published_version join workspaces w on w.id = f.workspace_id
        where f.workspace_id = :workspaceId and f.active and f.deleted_at is null`;
const ScheduledFlowRow = z.object({ flowId: z.string(), versionId: z.string(), timezone: z.string() });

/**
 * Runs that start outside a conversation: inbound webhooks (`POST /hooks/flows/:id/:token`,
 * the JSON body becomes the run's trigger input) and schedules (cron + time zone, through
 * BullMQ job schedulers with stable ids, kept in step with the published flows).
 */
export class TriggeredRuns {
  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      logger: Logger;
      flows: Pick<FlowCache<unknown>, 'version' | 'activeVersionOf'>;
      executor: RunExecutor;
      afterCommit: (after: AfterCommit) => Promise<void>;
    },
  ) {}

  private async activeFlow(em: EntityManager, flowId: string, workspaceId?: string): Promise<ActiveFlowRow | null> {
    const { rows } = await runSql(em, ACTIVE_FLOW_SQL, { flowId, workspaceId: workspaceId ?? null }, { row: ActiveFlowRow });
    return rows[0] ?? null;
  }

  /**
   * Starts a run of an active flow from its inbound webhook trigger. An unknown flow, a wrong
   * token and a flow without a webhook trigger all answer NotFoundError: the URL is the secret.
   */
  async startFromWebhook(flowId: string, tokenHash: string, body: unknown): Promise<{ runId: string }> {
    const after = emptyAfterCommit();
    const runId = await this.deps.orm.em.fork().transactional(async (em) => {
      const flow = await this.activeFlow(em, flowId);
      if (!flow?.webhookTokenHash || !sameHash(flow.webhookTokenHash, tokenHash)) throw new NotFoundError('webhook');
      const version = await this.deps.flows.version(em, flow.versionId);
      const trigger = version.document.nodes.find((n) => n.type === 'inbound_webhook');
      if (!trigger) throw new NotFoundError('webhook');
      const { rows } = await runSql(em, FLOW_WORKSPACE_SQL, { flowId }, { row: FlowWorkspaceRow });
      return this.deps.executor.start(
        em,
        {
          workspaceId: rows[0]!.workspaceId,
          flowId,
          flowVersionId: flow.versionId,
          triggerNodeId: trigger.id,
          contactId: null,
          conversationId: null,
          channelId: null,
          trigger: { kind: 'webhook', body: body as Record<string, unknown> },
          message: null,
        },
        after,
      );
    });
    await this.deps.afterCommit(after);
    return { runId };
  }

  /**
   * Starts the active version of `flowId` for one contact inside the caller's transaction (a
   * broadcast recipient's run); the caller holds the contact's lock and checked that automated
   * messages may reach it. Null when the flow is not active any more. Hand `after` to
   * `afterCommit` once the transaction committed.
   */
  async startForContact(
    em: EntityManager,
    p: {
      workspaceId: string;
      flowId: string;
      contactId: string;
      conversationId: string;
      channelId: string;
      trigger: Record<string, unknown>;
    },
    after: AfterCommit,
  ): Promise<string | null> {
    const target = await this.deps.flows.activeVersionOf(em, p.workspaceId, p.flowId);
    if (!target) return null;
    return this.deps.executor.start(
      em,
      { ...p, flowVersionId: target.versionId, triggerNodeId: target.entryNodeId, message: null },
      after,
      { contact: { lockedReachable: true } },
    );
  }

  /** Carries out what committed runs asked for (sends to dispatch, timers, drains). */
  afterCommit(after: AfterCommit): Promise<void> {
    return this.deps.afterCommit(after);
  }

  /** Makes the workspace's job schedulers match the schedule triggers of its active flows. */
  async syncSchedules(workspaceId: string): Promise<void> {
    const em = this.deps.orm.em.fork();
    const { rows } = await runSql(em, SCHEDULED_FLOWS_SQL, { workspaceId }, { row: ScheduledFlowRow });
    const desired = new Map<string, { pattern: string; tz: string; data: ScheduleJobData }>();
    for (const row of rows) {
      const doc: Flow = (await this.deps.flows.version(em, row.versionId)).document;
      for (const node of doc.nodes) {
        if (node.type !== 'schedule') continue;
        desired.set(schedulerId(workspaceId, row.flowId, node.id), {
          pattern: node.config.cron,
          tz: node.config.timezone ?? row.timezone,
          data: { workspaceId, flowId: row.flowId, nodeId: node.id },
        });
      }
    }
    const queue = this.deps.queues.queue<ScheduleJobData>(SCHEDULE_QUEUE);
    const prefix = `schedule:${workspaceId}:`;
    for (const existing of await queue.getJobSchedulers(0, -1)) {
      if (existing.key.startsWith(prefix) && !desired.has(existing.key)) await queue.removeJobScheduler(existing.key);
    }
    for (const [id, s] of desired) await queue.upsertJobScheduler(id, { pattern: s.pattern, tz: s.tz }, { name: 'fire', data: s.data });
  }

  startWorker(): void {
    this.deps.queues.worker<ScheduleJobData>(SCHEDULE_QUEUE, (job: Job<ScheduleJobData>) => this.fire(job.data, new Date(job.timestamp)), {
      concurrency: 4,
      ...QUICK_STALL_DETECTION,
    });
  }

  /** A schedule fired: start a run of the flow's current version if it still has that trigger. */
  private async fire(data: ScheduleJobData, firedAt: Date): Promise<void> {
    const after = emptyAfterCommit();
    await this.deps.orm.em.fork().transactional(async (em) => {
      const flow = await this.activeFlow(em, data.flowId, data.workspaceId);
      if (!flow) return;
      const version = await this.deps.flows.version(em, flow.versionId);
      if (!version.document.nodes.some((n) => n.id === data.nodeId && n.type === 'schedule')) return;
      await this.deps.executor.start(
        em,
        {
          workspaceId: data.workspaceId,
          flowId: data.flowId,
          flowVersionId: flow.versionId,
          triggerNodeId: data.nodeId,
          contactId: null,
          conversationId: null,
          channelId: null,
          trigger: { kind: 'schedule', firedAt: firedAt.toISOString() },
          message: null,
        },
        after,
      );
    });
    await this.deps.afterCommit(after);
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
