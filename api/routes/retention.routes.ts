import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { cronError } from '../../engine/flows/cron.ts';
import {
  DEFAULT_RETENTION_POLICY,
  policyChanges,
  RETENTION_KIND_LABELS,
  RETENTION_KINDS,
  RetentionPolicyPatchSchema,
  cutoffOf,
  type RetentionPolicy,
} from '../../engine/retention/retention-policy.ts';
import { activeHolds } from '../../connectors/retention/legal-holds.sql.ts';
import { PrivacyService } from '../../connectors/retention/retention-jobs.ts';
import { loadSettings, saveSettings } from '../../connectors/retention/retention-settings.sql.ts';
import { findSweep, listSweeps } from '../../connectors/retention/retention-sweep.store.ts';
import { countKind } from '../../connectors/retention/sweep-kinds.sql.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { assertRetentionWithinPlan } from '../../platform/billing/plan-limits.ts';
import type { ApiDeps } from '../api-deps.ts';
import { RetentionPolicyDto, RetentionPreviewDto, SweepDto, toSweepDto } from '../dto/privacy.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });
const RECENT_SWEEPS = 50;

/** The privacy features' service for one request (it holds no state of its own). */
export function privacyOf(deps: ApiDeps): PrivacyService {
  return new PrivacyService({ orm: deps.orm, queues: deps.queues, config: deps.config, clock: deps.clock, logger: deps.logger });
}

function policyDto(policy: RetentionPolicy, cron: string, timezone: string, updatedAt: Date | null): z.infer<typeof RetentionPolicyDto> {
  return {
    policy,
    kinds: RETENTION_KINDS.map((kind) => ({
      kind,
      label: RETENTION_KIND_LABELS[kind],
      days: policy[kind],
      defaultDays: DEFAULT_RETENTION_POLICY[kind],
    })),
    schedule: { cron, timezone },
    updatedAt: updatedAt === null ? null : new Date(updatedAt).toISOString(),
  };
}

/*
 * Retention (issue 16): how long each kind of data is kept, what the next sweep would delete,
 * and the sweeps themselves. Admins only: a policy deletes data.
 */
export const retentionRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/retention/policy',
    summary: 'How long each kind of data is kept (days; null keeps it), and when sweeps run',
    tag: 'retention',
    auth: 'privacy.manage',
    response: RetentionPolicyDto,
    async handler({ em, auth }) {
      const s = (await loadSettings(em, auth.workspaceId))!;
      return policyDto(s.policy, s.scheduleCron, s.timezone, s.updatedAt);
    },
  }),
  defineRoute({
    method: 'put',
    path: '/v1/retention/policy',
    summary:
      "Change retention periods (any subset of kinds; at least 1 day, the audit log at least 365, message history at most the plan's retention days) and the sweep schedule (cron in the workspace time zone); audited with old and new values",
    tag: 'retention',
    auth: 'privacy.manage',
    body: z.strictObject({
      policy: RetentionPolicyPatchSchema.optional(),
      schedule: z.strictObject({ cron: z.string().min(9).max(100) }).optional(),
    }),
    response: RetentionPolicyDto,
    exampleBody: { policy: { message_content: 365, media_files: 90, usage_data: 30 }, schedule: { cron: '0 3 * * *' } },
    async handler({ deps, em, auth, body, req }) {
      if (body.schedule) {
        const problem = cronError(body.schedule.cron);
        if (problem)
          throw new ValidationError(`the sweep schedule is not a valid cron: ${problem}`, {
            details: [{ path: 'schedule.cron', message: problem }],
          });
      }
      const saved = await em.transactional(async (tx) => {
        const before = (await loadSettings(tx, auth.workspaceId))!;
        if (body.policy)
          assertRetentionWithinPlan(auth.workspaceId, await deps.billing.planOf(tx, auth.workspaceId), body.policy, RETENTION_KIND_LABELS);
        const policy = { ...before.policy };
        for (const kind of RETENTION_KINDS) if (body.policy?.[kind] !== undefined) policy[kind] = body.policy[kind];
        const scheduleCron = body.schedule?.cron ?? before.scheduleCron;
        await saveSettings(tx, auth.workspaceId, { policy, scheduleCron, updatedBy: auth.userId, now: deps.clock.now() });
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'retention.policy_changed',
          details: {
            changes: policyChanges(before.policy, policy),
            ...(scheduleCron !== before.scheduleCron ? { schedule: [before.scheduleCron, scheduleCron] } : {}),
          },
          ip: req.ip,
        });
        return { policy, scheduleCron, timezone: before.timezone };
      });
      await privacyOf(deps).syncSchedule(auth.workspaceId);
      return policyDto(saved.policy, saved.scheduleCron, saved.timezone, deps.clock.now());
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/retention/preview',
    summary: 'What a sweep would delete now, per kind (rows and bytes), with the current policy and legal holds',
    tag: 'retention',
    auth: 'privacy.manage',
    response: RetentionPreviewDto,
    async handler({ deps, em, auth }) {
      const { policy } = (await loadSettings(em, auth.workspaceId))!;
      const holds = await activeHolds(em, auth.workspaceId);
      const now = deps.clock.now();
      const kinds = [];
      for (const kind of RETENTION_KINDS) {
        const cutoff = cutoffOf(policy, kind, now);
        let count = { rows: 0, bytes: 0 };
        if (cutoff && !holds.workspace) {
          // The media kind leaves the messages the message kind deletes (with their files) to it.
          const scope = { workspaceId: auth.workspaceId, cutoff, holds, messageCutoff: cutoffOf(policy, 'message_content', now) };
          count = await countKind(em, kind, scope);
        }
        kinds.push({
          kind,
          label: RETENTION_KIND_LABELS[kind],
          days: policy[kind],
          cutoff: cutoff?.toISOString() ?? null,
          rows: count.rows,
          bytes: count.bytes,
        });
      }
      return { workspaceHold: holds.workspace, kinds };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/retention/sweeps',
    summary: 'Run a retention sweep now (dryRun: count only, delete nothing); 409 retention_sweep_running while one is queued or running',
    tag: 'retention',
    auth: 'privacy.manage',
    status: 202,
    body: z.strictObject({ dryRun: z.boolean().default(false) }),
    response: z.object({ id: z.uuid() }),
    exampleBody: { dryRun: true },
    async handler({ deps, auth, body }) {
      const sweep = await privacyOf(deps).createSweep(auth.workspaceId, {
        dryRun: body.dryRun,
        trigger: 'api',
        requestedBy: auth.userId,
        enqueue: true,
      });
      return { id: sweep.id };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/retention/sweeps',
    summary: 'Recent sweeps, newest first, with progress per kind',
    tag: 'retention',
    auth: 'privacy.manage',
    response: z.object({ items: z.array(SweepDto) }),
    async handler({ em, auth }) {
      return { items: (await listSweeps(em, auth.workspaceId, RECENT_SWEEPS)).map(toSweepDto) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/retention/sweeps/:id',
    summary: 'One sweep: status, progress per kind (found, deleted, bytes, files) and counts',
    tag: 'retention',
    auth: 'privacy.manage',
    params: IdParams,
    response: SweepDto,
    async handler({ em, auth, params }) {
      const sweep = await findSweep(em, auth.workspaceId, params.id);
      if (!sweep) throw new NotFoundError('retention sweep', params.id);
      return toSweepDto(sweep);
    },
  }),
];
