import { z } from 'zod';
import { MAX_WINDOW_RUNS } from '../../engine/analytics/run-window.ts';
import { ValidationError } from '../../engine/errors/app-error.ts';
import { loadDashboard } from '../../platform/analytics/dashboard.sql.ts';
import { flowNodeCounts, flowTotals, type RunWindow } from '../../platform/analytics/flow-analytics.sql.ts';
import { WorkspaceSchema } from '../../platform/db/entities/workspace.entity.ts';
import { defineRoute } from '../route.ts';
import { findFlow } from './flows.routes.ts';

const WindowQuery = z.object({
  lastRuns: z.coerce.number().int().min(1).max(MAX_WINDOW_RUNS).default(1_000),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

function windowOf(q: z.output<typeof WindowQuery>): RunWindow {
  const window = { lastRuns: q.lastRuns, from: q.from ? new Date(q.from) : null, to: q.to ? new Date(q.to) : null };
  if (window.from && window.to && window.from >= window.to)
    throw new ValidationError('"from" must be before "to"', { details: [{ path: 'to', message: 'must be after "from"' }] });
  return window;
}

const rate = (part: number, whole: number) => (whole === 0 ? null : part / whole);

export const FlowAnalyticsDto = z.object({
  window: z.object({
    lastRuns: z.number(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    firstStartedAt: z.string().nullable(),
    lastStartedAt: z.string().nullable(),
  }),
  totals: z.object({
    runs: z.number(),
    completed: z.number(),
    failed: z.number(),
    stopped: z.number(),
    active: z.number(),
    handedOff: z.number(),
    optOuts: z.number(),
    /** Shares of the window's runs, null without runs. */
    completionRate: z.number().nullable(),
    handOffRate: z.number().nullable(),
    optOutRate: z.number().nullable(),
  }),
  nodes: z.array(
    z.object({
      nodeId: z.string(),
      reached: z.number(),
      ports: z.record(z.string(), z.number()),
      stoppedHere: z.number(),
      waiting: z.number(),
    }),
  ),
});

export const analyticsRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/flows/:id/analytics',
    summary:
      "A flow's runs in a window (the last N runs, within a date range when given): per node the runs that reached it, left it by each output and stopped there; runs, completion, hand-off and opt-out rates. Test-chat runs never count.",
    tag: 'flows',
    auth: 'flows.read',
    params: z.object({ id: z.uuid() }),
    query: WindowQuery,
    response: FlowAnalyticsDto,
    async handler({ em, auth, params, query }) {
      await findFlow(em, auth.workspaceId, params.id);
      const window = windowOf(query);
      const [totals, nodes] = await Promise.all([
        flowTotals(em, auth.workspaceId, params.id, window),
        flowNodeCounts(em, auth.workspaceId, params.id, window),
      ]);
      return {
        window: {
          lastRuns: window.lastRuns,
          from: window.from?.toISOString() ?? null,
          to: window.to?.toISOString() ?? null,
          firstStartedAt: totals.firstStartedAt?.toISOString() ?? null,
          lastStartedAt: totals.lastStartedAt?.toISOString() ?? null,
        },
        totals: {
          runs: totals.runs,
          completed: totals.completed,
          failed: totals.failed,
          stopped: totals.stopped,
          active: totals.active,
          handedOff: totals.handedOff,
          optOuts: totals.optOuts,
          completionRate: rate(totals.completed, totals.runs),
          handOffRate: rate(totals.handedOff, totals.runs),
          optOutRate: rate(totals.optOuts, totals.runs),
        },
        nodes,
      };
    },
  }),
];

export const DashboardDto = z.object({
  days: z.number(),
  timezone: z.string(),
  messagesPerDay: z.array(z.object({ day: z.string(), inbound: z.number(), outbound: z.number() })),
  activeConversations: z.object({ last24h: z.number(), queued: z.number(), assigned: z.number() }),
  responseTimes: z.array(
    z.object({ sender: z.enum(['bot', 'agent']), answered: z.number(), medianSeconds: z.number(), p90Seconds: z.number() }),
  ),
});

export const dashboardRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/analytics/dashboard',
    summary: "The workspace's messages in and out per day (in its time zone), active conversations, and how fast bots and agents answer",
    tag: 'analytics',
    auth: 'conversations.read_all',
    query: z.object({ days: z.coerce.number().int().min(1).max(90).default(14) }),
    response: DashboardDto,
    async handler({ deps, em, auth, query }) {
      const workspace = await em.findOneOrFail(WorkspaceSchema, { id: auth.workspaceId });
      const dashboard = await loadDashboard(em, auth.workspaceId, {
        days: query.days,
        timeZone: workspace.timezone,
        now: deps.clock.now(),
      });
      return { days: query.days, timezone: workspace.timezone, ...dashboard };
    },
  }),
];
