import { z } from 'zod';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { RUN_STATUSES } from '../../engine/runs/run-types.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { RunDetailDto, RunDetailRow, RunDto, RunRow, RunStepRow, toRunDetailDto, toRunDto } from '../dto/run.dto.ts';
import { decodeCursor, page, PageQuery } from '../pagination.ts';
import { PageDto } from '../dto/page.dto.ts';
import { defineRoute } from '../route.ts';
import { findFlow } from './flows.routes.ts';

const IdParams = z.object({ id: z.uuid() });
/** More than a run can have (the engine stops a run at 500 steps): every step fits in one answer. */
const MAX_STEPS_SHOWN = 1_000;

const RUN_COLUMNS = `r.id, r.flow_id as "flowId", r.flow_version_id as "flowVersionId", v.version, r.contact_id as "contactId",
  r.conversation_id as "conversationId", r.channel_id as "channelId", r.status, r.current_node_id as "currentNodeId",
  r.step_count as "stepCount", r.stop_reason as "stopReason", r.error, r.due_at as "dueAt", r.started_at as "startedAt",
  r.updated_at as "updatedAt", r.ended_at as "endedAt", v.test_revision is not null as "draftTest",
  c.name as "contactName", c.phone as "contactPhone", coalesce(c.is_test, false) as "testContact", tm.text as "triggerText"`;
/** A run of a page, with its cursor: Postgres' own text of started_at (microseconds that a JS Date would drop). */
const RunPageRow = RunRow.extend({ cursorAt: z.string() });

/** Who the run is with, and the message that started it (a run started by a message). */
const RUN_JOINS = `join flow_versions v on v.id = r.flow_version_id
  left join contacts c on c.id = r.contact_id
  left join lateral (select m.text from messages m where r.trigger ->> 'kind' = 'message' and m.id = cast(r.trigger ->> 'messageId' as uuid) and m.workspace_id = r.workspace_id) tm on true`;

export const runRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/flows/:id/runs',
    summary: "A flow's runs, newest first; filter by status",
    // Tagged with the flow: `:id` names a flow.
    tag: 'flows',
    auth: 'runs.read',
    params: IdParams,
    query: PageQuery.extend({ status: z.enum(RUN_STATUSES).optional() }),
    response: PageDto(RunDto),
    async handler({ em, auth, params, query }) {
      const flow = await findFlow(em, auth.workspaceId, params.id);
      const cursor = decodeCursor(query.cursor);
      // The cursor keeps Postgres' own text of started_at: microseconds that a JS Date would drop.
      const { rows } = await runSql(
        em,
        `select ${RUN_COLUMNS}, cast(r.started_at as text) as "cursorAt"
           from runs r ${RUN_JOINS}
          where r.workspace_id = :workspaceId and r.flow_id = :flowId
            and (cast(:status as text) is null or r.status = :status)
            and (cast(:cursorAt as timestamptz) is null or (r.started_at, r.id) < (cast(:cursorAt as timestamptz), cast(:cursorId as uuid)))
          order by r.started_at desc, r.id desc
          limit :limit`,
        {
          workspaceId: auth.workspaceId,
          flowId: flow.id,
          status: query.status ?? null,
          cursorAt: cursor?.at ?? null,
          cursorId: cursor?.id ?? null,
          limit: query.limit + 1,
        },
        { row: RunPageRow },
      );
      const result = page(rows, query.limit, (r) => ({ at: r.cursorAt, id: r.id }));
      return { items: result.items.map(toRunDto), nextCursor: result.nextCursor };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/contacts/:id/runs',
    summary: "A contact's runs, newest first, across flows",
    // Tagged with the contact: `:id` names a contact.
    tag: 'contacts',
    auth: 'runs.read',
    params: IdParams,
    query: PageQuery,
    response: PageDto(RunDto),
    async handler({ em, auth, params, query }) {
      const found = await runSql(em, `select 1 from contacts where id = :id and workspace_id = :workspaceId`, {
        id: params.id,
        workspaceId: auth.workspaceId,
      });
      if (found.rowCount === 0) throw new NotFoundError('contact', params.id);
      const cursor = decodeCursor(query.cursor);
      const { rows } = await runSql(
        em,
        `select ${RUN_COLUMNS}, cast(r.started_at as text) as "cursorAt"
           from runs r ${RUN_JOINS}
          where r.workspace_id = :workspaceId and r.contact_id = :contactId
            and (cast(:cursorAt as timestamptz) is null or (r.started_at, r.id) < (cast(:cursorAt as timestamptz), cast(:cursorId as uuid)))
          order by r.started_at desc, r.id desc
          limit :limit`,
        {
          workspaceId: auth.workspaceId,
          contactId: params.id,
          cursorAt: cursor?.at ?? null,
          cursorId: cursor?.id ?? null,
          limit: query.limit + 1,
        },
        { row: RunPageRow },
      );
      const result = page(rows, query.limit, (r) => ({ at: r.cursorAt, id: r.id }));
      return { items: result.items.map(toRunDto), nextCursor: result.nextCursor };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/runs/:id',
    summary: 'One run with its steps in order: input, output, port, error and timing of each (secrets redacted)',
    tag: 'runs',
    auth: 'runs.read',
    params: IdParams,
    response: RunDetailDto,
    async handler({ em, auth, params }) {
      const { rows } = await runSql(
        em,
        `select ${RUN_COLUMNS}, r.state, r.wait, r.trigger
           from runs r ${RUN_JOINS}
          where r.id = :id and r.workspace_id = :workspaceId`,
        { id: params.id, workspaceId: auth.workspaceId },
        { row: RunDetailRow },
      );
      const run = rows[0];
      if (!run) throw new NotFoundError('run', params.id);
      const steps = await runSql(
        em,
        `select seq, node_id as "nodeId", node_type as "nodeType", input, output, port, error, started_at as "startedAt", finished_at as "finishedAt"
           from run_steps where run_id = :id and workspace_id = :workspaceId order by seq limit :limit`,
        { id: run.id, workspaceId: auth.workspaceId, limit: MAX_STEPS_SHOWN },
        { row: RunStepRow },
      );
      return toRunDetailDto(run, steps.rows);
    },
  }),
];
