import { z } from 'zod';
import {
  broadcastEngagement,
  ENGAGEMENT_DEFINITIONS,
  REPLY_ATTRIBUTION_HOURS,
  type BroadcastEngagement,
} from '../../platform/analytics/broadcast-engagement.sql.ts';
import { OPT_OUT_ATTRIBUTION_DAYS } from '../../platform/broadcasts/broadcast-opt-outs.ts';
import { broadcastStats } from '../../platform/broadcasts/broadcast-stats.ts';
import { BROADCAST_COLUMNS, BroadcastRow, loadBroadcast } from '../../platform/broadcasts/broadcast-store.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { BroadcastComparisonDto, BroadcastEngagementAnswerDto, type BroadcastEngagementDto } from '../dto/broadcast.dto.ts';
import { defineRoute } from '../route.ts';

/** Most broadcasts one comparison shows. */
const MAX_COMPARED = 100;

const DEFINITIONS = { replyWindowHours: REPLY_ATTRIBUTION_HOURS, optOutWindowDays: OPT_OUT_ATTRIBUTION_DAYS, ...ENGAGEMENT_DEFINITIONS };

function engagementDto(e: BroadcastEngagement): BroadcastEngagementDto {
  const rate = (part: number) => (e.delivered === 0 ? null : part / e.delivered);
  return { ...e, replyRate: rate(e.replied), optOutRate: rate(e.optedOut) };
}

export const broadcastAnalyticsRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/broadcasts/:id/engagement',
    summary: `A broadcast's reply and opt-out rates. Both are shares of the delivered recipients (delivered or read now, the "reached at least" count). Reply rate: ${ENGAGEMENT_DEFINITIONS.replyRate} Opt-out rate: ${ENGAGEMENT_DEFINITIONS.optOutRate} A flow broadcast has no broadcast message to deliver: its rates are null.`,
    tag: 'broadcasts',
    auth: 'broadcasts.read',
    params: z.object({ id: z.uuid() }),
    response: BroadcastEngagementAnswerDto,
    async handler({ em, auth, params }) {
      const b = await loadBroadcast(em, params.id, { workspaceId: auth.workspaceId });
      const engagement = (await broadcastEngagement(em, [b.id])).get(b.id)!;
      return { engagement: engagementDto(engagement), definitions: DEFINITIONS };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/analytics/broadcasts',
    summary:
      'The most recently started broadcasts side by side, newest first: their reached-at-least numbers (sent, delivered, read) and reply and opt-out rates, defined as in GET /v1/broadcasts/{id}/engagement',
    tag: 'analytics',
    auth: 'broadcasts.read',
    query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_COMPARED).default(20) }),
    response: BroadcastComparisonDto,
    async handler({ deps, em, auth, query }) {
      // A recurring broadcast never starts itself (its occurrences do): only broadcasts with recipients are compared.
      const { rows: broadcasts } = await runSql(
        em,
        `select ${BROADCAST_COLUMNS} from broadcasts b
          where b.workspace_id = :workspaceId and b.started_at is not null
          order by b.started_at desc, b.id desc limit :limit`,
        { workspaceId: auth.workspaceId, limit: query.limit },
        { row: BroadcastRow },
      );
      const ids = broadcasts.map((b) => b.id);
      const [stats, engagement] = await Promise.all([broadcastStats(em, broadcasts, deps.clock.now()), broadcastEngagement(em, ids)]);
      return {
        definitions: DEFINITIONS,
        items: broadcasts.map((b) => ({
          id: b.id,
          name: b.name,
          parentId: b.parentId,
          state: b.state,
          audienceKind: b.audience.kind,
          contentKind: b.content.kind,
          startedAt: b.startedAt!.toISOString(),
          finishedAt: b.finishedAt?.toISOString() ?? null,
          stats: stats.get(b.id)!,
          engagement: engagementDto(engagement.get(b.id)!),
        })),
      };
    },
  }),
];
