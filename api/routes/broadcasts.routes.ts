import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { BroadcastSpecSchema } from '../../engine/broadcasts/broadcast-spec.ts';
import { RECIPIENT_STATUSES, SKIP_REASONS } from '../../engine/broadcasts/broadcast-state.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { BroadcastCommands } from '../../platform/broadcasts/broadcast-commands.ts';
import { broadcastStats, type BroadcastStats } from '../../platform/broadcasts/broadcast-stats.ts';
import {
  BROADCAST_COLUMNS,
  BroadcastRow,
  loadBroadcast,
  RECIPIENT_JOINS,
  RECIPIENT_STATUS_SQL,
} from '../../platform/broadcasts/broadcast-store.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { ApiDeps } from '../api-deps.ts';
import { BroadcastDto, BroadcastRecipientDto, BroadcastTimelineDto } from '../dto/broadcast.dto.ts';
import { decodeCursor, page, PageQuery } from '../pagination.ts';
import { PageDto } from '../dto/page.dto.ts';
import { defineRoute, type AuthContext } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });

/** Where the broadcast routes live, for the larger body parser mounted there (api/app.ts). */
export const BROADCASTS_PATH = '/api/v1/broadcasts';
/** Largest broadcast body: a CSV of MAX_AUDIENCE_CSV_CHARS characters, JSON-escaped, and the rest of the broadcast. */
export const BROADCAST_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
/** A broadcast shorter than this is charted per minute, a longer one per hour. */
const MINUTE_BUCKETS_UP_TO_MS = 6 * 3600 * 1000;

const EXAMPLE_SPEC = {
  name: 'Spring sale',
  channelId: '00000000-0000-7000-8000-000000000001',
  audience: { kind: 'segment', rule: { in: ['vip', { var: 'contact.tags' }] } },
  content: { kind: 'message', text: 'Hi {{contact.name | "there"}}, 20% off this week.' },
  schedule: { kind: 'at', localTime: '2030-03-01T09:00', timezone: 'Europe/Paris' },
  quietHours: { start: '21:00', end: '08:00', timezone: 'contact' },
  pacePerMinute: 60,
};

function commands(deps: ApiDeps): BroadcastCommands {
  return new BroadcastCommands({ queues: deps.queues, clock: deps.clock, logger: deps.logger });
}

function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

/** The broadcasts as the API shows them, their counts read together. */
async function toDtos(em: EntityManager, rows: readonly BroadcastRow[], now: Date): Promise<BroadcastDto[]> {
  const stats = await broadcastStats(em, rows, now);
  return rows.map((b) => dtoOf(b, stats.get(b.id)!));
}

async function toDto(em: EntityManager, b: BroadcastRow, now: Date): Promise<BroadcastDto> {
  return (await toDtos(em, [b], now))[0]!;
}

function dtoOf(b: BroadcastRow, stats: BroadcastStats): BroadcastDto {
  return {
    id: b.id,
    name: b.name,
    channelId: b.channelId,
    audience: b.audience,
    content: b.content,
    templateVersion:
      b.templateVersionId === null || b.templateVersion === null ? null : { id: b.templateVersionId, version: b.templateVersion },
    schedule: b.schedule,
    quietHours: b.quietHours,
    pacePerMinute: b.pacePerMinute,
    state: b.state,
    stateReason: b.stateReason,
    parentId: b.parentId,
    nextRunAt: iso(b.nextRunAt),
    startedAt: iso(b.startedAt),
    finishedAt: iso(b.finishedAt),
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
    stats,
  };
}

/** Audits a change to a broadcast (ids only) and writes the entry. */
async function recordAudit(em: EntityManager, auth: AuthContext, action: string, broadcastId: string): Promise<void> {
  audit(em, { workspaceId: auth.workspaceId, actor: actorOf(auth), action, target: { kind: 'broadcast', id: broadcastId } });
  await em.flush();
}

/** A member's or an API key's name. */
const NameRow = z.object({ name: z.string() });

/** Who paused or cancelled, as the state reason shows it: the member's name, or the API key's. */
async function byWhom(em: EntityManager, auth: AuthContext): Promise<string> {
  const { rows } =
    auth.actorKind === 'user'
      ? await runSql(em, `select name from users where id = :id`, { id: auth.userId }, { row: NameRow })
      : await runSql(em, `select name from api_keys where id = :id`, { id: auth.apiKeyId }, { row: NameRow });
  const name = rows[0]?.name ?? 'unknown';
  return auth.actorKind === 'user' ? name : `API key "${name}"`;
}

/** The four state commands share their shape: POST /v1/broadcasts/:id/<action>. */
function actionRoute(
  action: 'schedule' | 'pause' | 'resume' | 'cancel',
  summary: string,
  run: (c: BroadcastCommands, em: EntityManager, auth: AuthContext, id: string) => Promise<BroadcastRow>,
) {
  return defineRoute({
    method: 'post',
    path: `/v1/broadcasts/:id/${action}`,
    summary,
    tag: 'broadcasts',
    auth: 'broadcasts.write',
    params: IdParams,
    response: BroadcastDto,
    async handler({ deps, em, auth, params }) {
      if (action === 'schedule' || action === 'resume') {
        // Its own broadcast first (another workspace's id answers 404), then the quota: 402 quota_exceeded while it is used up.
        await loadBroadcast(em, params.id, { workspaceId: auth.workspaceId });
        await deps.billing.assertQuotaLeft(em, auth.workspaceId);
      }
      const row = await run(commands(deps), em, auth, params.id);
      await recordAudit(em, auth, `broadcast.${action}`, params.id);
      return toDto(em, row, deps.clock.now());
    },
  });
}

/** A broadcast of a page, with its cursor: Postgres' own text of created_at (microseconds that a JS Date would drop). */
const BroadcastPageRow = BroadcastRow.extend({ cursorAt: z.string() });

/**
 * A recipient with its contact (joined, so never an erased recipient's tombstone) and its status
 * as the API shows it; a recipient not yet sent to has no message or run.
 */
const RecipientRow = z.object({
  id: z.string(),
  contactId: z.string(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  tags: z.array(z.string()),
  status: z.enum(RECIPIENT_STATUSES),
  skipReason: z.enum(SKIP_REASONS).nullable(),
  failureReason: z.string().nullable(),
  messageId: z.string().nullable(),
  runId: z.string().nullable(),
  updatedAt: z.date(),
});

/** One bucket of the timeline: the recipients who reached each status in it. */
const TimelineBucketRow = z.object({ at: z.date(), sent: z.number(), delivered: z.number(), read: z.number(), failed: z.number() });

export const broadcastRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/broadcasts',
    summary:
      "The workspace's broadcasts, newest first, with their progress; occurrences of a recurring broadcast have its id as parentId (filter with ?parentId=)",
    tag: 'broadcasts',
    auth: 'broadcasts.read',
    // parentId: only the occurrences of that recurring broadcast.
    query: PageQuery.extend({ parentId: z.uuid().optional() }),
    response: PageDto(BroadcastDto),
    async handler({ deps, em, auth, query }) {
      const cursor = decodeCursor(query.cursor);
      const { rows } = await runSql(
        em,
        `select ${BROADCAST_COLUMNS}, cast(b.created_at as text) as "cursorAt" from broadcasts b
          where b.workspace_id = :workspaceId
            and (cast(:parentId as uuid) is null or b.parent_id = cast(:parentId as uuid))
            and (cast(:cursorAt as timestamptz) is null or (b.created_at, b.id) < (cast(:cursorAt as timestamptz), cast(:cursorId as uuid)))
          order by b.created_at desc, b.id desc limit :limit`,
        {
          workspaceId: auth.workspaceId,
          parentId: query.parentId ?? null,
          cursorAt: cursor?.at ?? null,
          cursorId: cursor?.id ?? null,
          limit: query.limit + 1,
        },
        { row: BroadcastPageRow },
      );
      const result = page(rows, query.limit, (r) => ({ at: r.cursorAt, id: r.id }));
      return { items: await toDtos(em, result.items, deps.clock.now()), nextCursor: result.nextCursor };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/broadcasts',
    summary:
      'Creates a broadcast as a draft: channel, audience (segment, phones or CSV), content (a text with {{variables}}, a saved template by id, or a flow), schedule, quiet hours, pace',
    tag: 'broadcasts',
    auth: 'broadcasts.write',
    body: BroadcastSpecSchema,
    status: 201,
    response: BroadcastDto,
    exampleBody: EXAMPLE_SPEC,
    async handler({ deps, em, auth, body }) {
      const row = await commands(deps).create(em, auth.workspaceId, auth.userId, body);
      await recordAudit(em, auth, 'broadcast.create', row.id);
      return toDto(em, row, deps.clock.now());
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/broadcasts/:id',
    summary: 'One broadcast with its state, counts per recipient status, percent done and estimated finish',
    tag: 'broadcasts',
    auth: 'broadcasts.read',
    params: IdParams,
    response: BroadcastDto,
    async handler({ deps, em, auth, params }) {
      return toDto(em, await loadBroadcast(em, params.id, { workspaceId: auth.workspaceId }), deps.clock.now());
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/broadcasts/:id',
    summary: 'Changes a draft, scheduled or paused broadcast (a started one: only its name, pace and quiet hours)',
    tag: 'broadcasts',
    auth: 'broadcasts.write',
    params: IdParams,
    body: BroadcastSpecSchema.partial(),
    response: BroadcastDto,
    exampleBody: { name: 'Spring sale (final)', pacePerMinute: 30 },
    async handler({ deps, em, auth, params, body }) {
      const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      const row = await commands(deps).update(em, auth.workspaceId, params.id, patch);
      await recordAudit(em, auth, 'broadcast.update', params.id);
      return toDto(em, row, deps.clock.now());
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/broadcasts/:id',
    summary: 'Deletes a draft (a broadcast that was scheduled keeps its record: cancel it)',
    tag: 'broadcasts',
    auth: 'broadcasts.write',
    params: IdParams,
    status: 204,
    async handler({ deps, em, auth, params }) {
      await commands(deps).remove(em, auth.workspaceId, params.id);
      await recordAudit(em, auth, 'broadcast.delete', params.id);
    },
  }),
  actionRoute(
    'schedule',
    'Schedules a draft: checks it fully (empty audience, past time), then starts it at its time or arms its recurring schedule',
    (c, em, auth, id) => c.schedule(em, auth.workspaceId, id),
  ),
  actionRoute('pause', 'Pauses a scheduled or running broadcast; a running one stops after the batch being sent', async (c, em, auth, id) =>
    c.pause(em, auth.workspaceId, id, await byWhom(em, auth)),
  ),
  actionRoute('resume', 'Resumes a paused broadcast where it stopped, at its pace from now', (c, em, auth, id) =>
    c.resume(em, auth.workspaceId, id),
  ),
  actionRoute(
    'cancel',
    'Cancels a broadcast: recipients not yet sent to are skipped as cancelled; a recurring one stops recurring',
    async (c, em, auth, id) => c.cancel(em, auth.workspaceId, id, await byWhom(em, auth)),
  ),
  defineRoute({
    method: 'get',
    path: '/v1/broadcasts/:id/recipients',
    summary:
      "A broadcast's recipients with their status (pending, sent, delivered, read, failed, skipped with the reason); filter by status",
    tag: 'broadcasts',
    auth: 'broadcasts.read',
    params: IdParams,
    query: PageQuery.extend({ status: z.enum(RECIPIENT_STATUSES).optional() }),
    response: PageDto(BroadcastRecipientDto),
    async handler({ em, auth, params, query }) {
      const b = await loadBroadcast(em, params.id, { workspaceId: auth.workspaceId });
      const cursor = decodeCursor(query.cursor);
      const { rows } = await runSql(
        em,
        `select * from (
           select r.id, r.contact_id as "contactId", c.name, c.phone, c.tags, ${RECIPIENT_STATUS_SQL} as status, r.skip_reason as "skipReason",
                  coalesce(m.failure_reason, run.error ->> 'message') as "failureReason", r.message_id as "messageId", r.run_id as "runId", r.updated_at as "updatedAt"
             from broadcast_recipients r join contacts c on c.id = r.contact_id ${RECIPIENT_JOINS}
            where r.broadcast_id = :broadcastId and (cast(:cursorId as uuid) is null or r.id > cast(:cursorId as uuid))
         ) x where (cast(:status as text) is null or x.status = :status)
         order by x.id limit :limit`,
        { broadcastId: b.id, cursorId: cursor?.id ?? null, status: query.status ?? null, limit: query.limit + 1 },
        { row: RecipientRow },
      );
      const result = page(rows, query.limit, (r) => ({ at: '', id: r.id }));
      return {
        items: result.items.map((r) => ({
          id: r.id,
          contact: { id: r.contactId, name: r.name, phone: r.phone, tags: r.tags },
          status: r.status,
          skipReason: r.skipReason,
          failureReason: r.failureReason,
          messageId: r.messageId,
          runId: r.runId,
          updatedAt: r.updatedAt.toISOString(),
        })),
        nextCursor: result.nextCursor,
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/broadcasts/:id/timeline',
    summary:
      "Recipients who reached at least sent, delivered and read, and who failed, over time (per minute, or per hour for a long broadcast): the running totals end on the broadcast's stats",
    tag: 'broadcasts',
    auth: 'broadcasts.read',
    params: IdParams,
    response: BroadcastTimelineDto,
    async handler({ deps, em, auth, params }) {
      const b = await loadBroadcast(em, params.id, { workspaceId: auth.workspaceId });
      if (b.startedAt === null) return { bucketSeconds: 60, buckets: [] };
      const end = b.finishedAt ?? deps.clock.now();
      const bucketSeconds = end.getTime() - b.startedAt.getTime() <= MINUTE_BUCKETS_UP_TO_MS ? 60 : 3600;
      const { rows } = await runSql(
        em,
        // "Reached at least": a recipient counts as sent from the first of its sent, delivered or
        // read times, as delivered from the first of delivered or read (WhatsApp may report a read
        // with no delivery before it), as read from its read time; a failed one only as failed. A
        // recipient whose status says more than its message's times (a report with no time) counts
        // from its last update. So the running totals end on the numbers of the broadcast's stats.
        `select date_bin(make_interval(secs => :bucketSeconds), cast(e.at as timestamptz), cast(:origin as timestamptz)) as at,
                count(*) filter (where e.kind = 'sent') as sent, count(*) filter (where e.kind = 'delivered') as delivered,
                count(*) filter (where e.kind = 'read') as read, count(*) filter (where e.kind = 'failed') as failed
           from (select r.updated_at, m.status_times, ${RECIPIENT_STATUS_SQL} as status
                   from broadcast_recipients r ${RECIPIENT_JOINS}
                  where r.broadcast_id = :broadcastId) x
           cross join lateral (values
             ('sent', case when x.status in ('sent', 'delivered', 'read') then coalesce(least(cast(x.status_times ->> 'sent' as timestamptz), cast(x.status_times ->> 'delivered' as timestamptz), cast(x.status_times ->> 'read' as timestamptz)), x.updated_at) end),
             ('delivered', case when x.status in ('delivered', 'read') then coalesce(least(cast(x.status_times ->> 'delivered' as timestamptz), cast(x.status_times ->> 'read' as timestamptz)), x.updated_at) end),
             ('read', case when x.status = 'read' then coalesce(cast(x.status_times ->> 'read' as timestamptz), x.updated_at) end),
             ('failed', case when x.status = 'failed' then coalesce(cast(x.status_times ->> 'failed' as timestamptz), x.updated_at) end)
           ) as e(kind, at)
          where e.at is not null
          group by 1 order by 1`,
        { broadcastId: b.id, bucketSeconds, origin: b.startedAt },
        { row: TimelineBucketRow },
      );
      return {
        bucketSeconds,
        buckets: rows.map((r) => ({
          at: r.at.toISOString(),
          sent: r.sent,
          delivered: r.delivered,
          read: r.read,
          failed: r.failed,
        })),
      };
    },
  }),
];
