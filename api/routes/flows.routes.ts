import { LockMode, type EntityManager, type FilterQuery } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { DraftConflictError } from '../../engine/errors/draft-conflict.error.ts';
import { FlowInvalidError } from '../../engine/errors/flow-invalid.error.ts';
import { FlowNotPublishedError } from '../../engine/errors/flow-not-published.error.ts';
import { FLOW_SCHEMA_VERSION } from '../../engine/flows/flow.schema.ts';
import { isBlocking, type FlowProblem } from '../../engine/flows/flow-problem.ts';
import { validateFlow } from '../../engine/flows/validate-flow.ts';
import { RUN_STATUSES, type RunStatus } from '../../engine/runs/run-types.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { FlowRecordSchema, type FlowRecord } from '../../platform/db/entities/flow.entity.ts';
import { FlowVersionSchema } from '../../platform/db/entities/flow-version.entity.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { flowValidationOptions } from '../../platform/automation/flow-validation-options.ts';
import { pinTemplateVersions } from '../../platform/templates/template-store.ts';
import { assertTriggersFit } from '../../platform/automation/trigger-budget.ts';
import { triggerOverlapsOf } from '../../platform/automation/active-flow-overlaps.ts';
import { flowWebhookPath } from '../auth/flow-webhook-token.ts';
import { generateRandomToken } from '../auth/random-token.ts';
import {
  FlowDescriptionInput,
  FlowDocumentInput,
  FlowDto,
  FlowExportDto,
  FlowListItemDto,
  FlowNameInput,
  FlowPriorityInput,
  FlowProblemDto,
  FlowVersionDetailDto,
  TriggerOverlapDto,
  FlowVersionDto,
  PublishAnswerDto,
  toFlowDto,
  toFlowSummaryDto,
  toFlowVersionDetailDto,
  toFlowVersionDto,
} from '../dto/flow.dto.ts';
import { decodeCursor, page, PageQuery } from '../pagination.ts';
import { PageDto } from '../dto/page.dto.ts';
import { defineRoute, type AuthContext } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });
/** The window of the run counts shown in the flow list: recent activity, and cheap to count. */
const RUN_COUNT_WINDOW_MS = 24 * 60 * 60 * 1000;
const IMPORTED_FLOW_NAME = 'Imported flow';

/** The flow with this id in the caller's workspace, or NotFoundError. Deleted flows are gone. */
export async function findFlow(em: EntityManager, workspaceId: string, id: string, lock?: LockMode): Promise<FlowRecord> {
  const flow = await em.findOne(FlowRecordSchema, { id, workspaceId, deletedAt: null }, lock === undefined ? {} : { lockMode: lock });
  if (!flow) throw new NotFoundError('flow', id);
  return flow;
}

/** What a new flow starts with: nothing; the editor shows a hint and the templates of examples/flows/. */
function starterDraft(): FlowDocumentInput {
  return { schemaVersion: FLOW_SCHEMA_VERSION, nodes: [], edges: [] };
}

/**
 * The document's problems and warnings, checked against the workspace's secret names (a
 * `{{secrets.NAME}}` naming no secret is a problem) and saved templates (a node sending a
 * deleted template is a problem). Warnings alone do not block publishing.
 */
async function problemsOf(em: EntityManager, workspaceId: string, document: unknown): Promise<FlowProblem[]> {
  const result = validateFlow(document, await flowValidationOptions(em, workspaceId));
  return result.ok ? result.warnings : result.problems;
}

/** A draft saved with `baseRevision` must have been edited from the current revision. */
function checkRevision(flow: FlowRecord, baseRevision: number | undefined): void {
  if (baseRevision !== undefined && baseRevision !== flow.draftRevision)
    throw new DraftConflictError(flow.id, baseRevision, flow.draftRevision);
}

async function createDraftFlow(
  em: EntityManager,
  auth: AuthContext,
  input: { name: string; description?: string | null | undefined; document: FlowDocumentInput },
  ip: string | undefined,
  action: 'flow.created' | 'flow.imported',
): Promise<FlowRecord> {
  const flow = em.create(FlowRecordSchema, {
    id: newId(),
    workspaceId: auth.workspaceId,
    name: input.name,
    description: input.description ?? null,
    draft: input.document,
    draftRevision: 1,
    active: false,
    publishedVersion: null,
    createdBy: auth.userId,
  });
  audit(em, {
    workspaceId: auth.workspaceId,
    actor: actorOf(auth),
    action,
    target: { kind: 'flow', id: flow.id },
    details: { nodes: input.document.nodes.length },
    ip,
  });
  await em.flush();
  return flow;
}

/** How many runs of a flow have a status. */
const RunCountRow = z.object({ flowId: z.string(), status: z.enum(RUN_STATUSES), n: z.number() });

/** Runs started since `since` per flow and status, for one page of flows (one grouped query on runs_flow). */
async function runCounts(
  em: EntityManager,
  workspaceId: string,
  flowIds: string[],
  since: Date,
): Promise<Map<string, Record<RunStatus, number>>> {
  const counts = new Map<string, Record<RunStatus, number>>(
    flowIds.map((id) => [id, Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>]),
  );
  if (flowIds.length === 0) return counts;
  const { rows } = await runSql(
    em,
    `select flow_id as "flowId", status, cast(count(*) as int) as n from runs
      where workspace_id = :workspaceId and flow_id = any(cast(:flowIds as uuid[])) and started_at > :since
        and not exists (select 1 from contacts c where c.id = runs.contact_id and c.is_test)
      group by flow_id, status`,
    { workspaceId, flowIds, since },
    { row: RunCountRow },
  );
  for (const row of rows) counts.get(row.flowId)![row.status] = row.n;
  return counts;
}

const PatchBody = z
  .strictObject({
    name: FlowNameInput.optional(),
    description: FlowDescriptionInput.nullable().optional(),
    document: FlowDocumentInput.optional(),
    active: z.boolean().optional(),
    /** Which flow starts when several active flows match a message: higher first. Takes effect at once (not part of the draft). */
    priority: FlowPriorityInput.optional(),
    /** The draft revision the change was made from; required when changing the name, description or document. */
    baseRevision: z.number().int().min(1).optional(),
  })
  .refine(
    (b) =>
      b.name !== undefined || b.description !== undefined || b.document !== undefined || b.active !== undefined || b.priority !== undefined,
    { message: 'nothing to change: send name, description, document, active or priority' },
  )
  .refine((b) => b.baseRevision !== undefined || (b.name === undefined && b.description === undefined && b.document === undefined), {
    message: 'baseRevision is required when saving the draft: send the draftRevision you loaded',
    path: ['baseRevision'],
  });

export const flowRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/flows',
    summary: 'Flows of the workspace, newest first, with their runs of the last 24 hours by status',
    tag: 'flows',
    auth: 'flows.read',
    query: PageQuery,
    response: PageDto(FlowListItemDto),
    async handler({ deps, em, auth, query }) {
      const where: FilterQuery<FlowRecord> = { workspaceId: auth.workspaceId, deletedAt: null };
      const cursor = decodeCursor(query.cursor);
      if (cursor) {
        const at = new Date(cursor.at);
        where.$or = [{ createdAt: { $lt: at } }, { createdAt: at, id: { $lt: cursor.id } }];
      }
      const rows = await em.find(FlowRecordSchema, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
      const result = page(rows, query.limit, (f) => ({ at: f.createdAt.toISOString(), id: f.id }));
      const counts = await runCounts(
        em,
        auth.workspaceId,
        result.items.map((f) => f.id),
        new Date(deps.clock.now().getTime() - RUN_COUNT_WINDOW_MS),
      );
      return {
        items: result.items.map((f) => ({ ...toFlowSummaryDto(f), runsLast24h: counts.get(f.id)! })),
        nextCursor: result.nextCursor,
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/flows',
    summary: 'Create a flow as a draft (drafts may be incomplete; publish to run it)',
    tag: 'flows',
    auth: 'flows.write',
    status: 201,
    body: z.strictObject({
      name: FlowNameInput,
      description: FlowDescriptionInput.nullable().optional(),
      document: FlowDocumentInput.optional(),
    }),
    response: FlowDto,
    exampleBody: { name: 'Welcome', description: 'Greets people who say hi' },
    async handler({ em, auth, body, req }) {
      const flow = await createDraftFlow(
        em,
        auth,
        { name: body.name, description: body.description, document: body.document ?? starterDraft() },
        req.ip,
        'flow.created',
      );
      return toFlowDto(flow, await problemsOf(em, auth.workspaceId, flow.draft));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/flows/validate',
    summary:
      'Check a flow document without saving it: every problem with its node and code (ok unless a problem blocks publishing; warnings do not)',
    tag: 'flows',
    auth: 'flows.read',
    body: z.strictObject({ document: FlowDocumentInput }),
    response: z.object({ ok: z.boolean(), problems: z.array(FlowProblemDto) }),
    exampleBody: { document: { schemaVersion: 1, nodes: [], edges: [] } },
    async handler({ em, auth, body }) {
      const problems = await problemsOf(em, auth.workspaceId, body.document);
      return { ok: problems.every((p) => !isBlocking(p)), problems };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/flows/import',
    summary: 'Create a draft flow from an exported one ({ name, description, document })',
    tag: 'flows',
    auth: 'flows.write',
    status: 201,
    body: z.strictObject({
      name: FlowNameInput.optional(),
      description: FlowDescriptionInput.nullable().optional(),
      document: FlowDocumentInput,
    }),
    response: FlowDto,
    exampleBody: { name: 'Imported', description: null, document: { schemaVersion: 1, nodes: [], edges: [] } },
    async handler({ em, auth, body, req }) {
      const flow = await createDraftFlow(
        em,
        auth,
        { name: body.name ?? IMPORTED_FLOW_NAME, description: body.description, document: body.document },
        req.ip,
        'flow.imported',
      );
      return toFlowDto(flow, await problemsOf(em, auth.workspaceId, flow.draft));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/flows/:id',
    summary: "A flow with its draft and the draft's problems",
    tag: 'flows',
    auth: 'flows.read',
    params: IdParams,
    response: FlowDto,
    async handler({ em, auth, params }) {
      const flow = await findFlow(em, auth.workspaceId, params.id);
      return toFlowDto(flow, await problemsOf(em, auth.workspaceId, flow.draft));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/flows/:id',
    summary:
      'Save the draft (name, description, document; with baseRevision, 409 draft_conflict when stale) or activate/deactivate the published version',
    tag: 'flows',
    auth: 'flows.write',
    params: IdParams,
    body: PatchBody,
    response: FlowDto,
    exampleBody: { name: 'Renamed flow', baseRevision: 1 },
    async handler({ deps, em, auth, params, body, req }) {
      const { flow, activeChanged } = await em.transactional(async (tx) => {
        // Locked so that two saves from the same revision cannot both pass the check.
        const flow = await findFlow(tx, auth.workspaceId, params.id, LockMode.PESSIMISTIC_WRITE);
        const fields = (['name', 'description', 'document'] as const).filter((k) => body[k] !== undefined);
        if (fields.length > 0) {
          checkRevision(flow, body.baseRevision);
          if (body.name !== undefined) flow.name = body.name;
          if (body.description !== undefined) flow.description = body.description;
          if (body.document !== undefined) flow.draft = body.document;
          flow.draftRevision += 1;
          audit(tx, {
            workspaceId: auth.workspaceId,
            actor: actorOf(auth),
            action: 'flow.updated',
            target: { kind: 'flow', id: flow.id },
            details: { fields, draftRevision: flow.draftRevision },
            ip: req.ip,
          });
        }
        const priorityChanged = body.priority !== undefined && body.priority !== flow.priority;
        if (priorityChanged) {
          audit(tx, {
            workspaceId: auth.workspaceId,
            actor: actorOf(auth),
            action: 'flow.updated',
            target: { kind: 'flow', id: flow.id },
            details: { fields: ['priority'], from: flow.priority, to: body.priority },
            ip: req.ip,
          });
          flow.priority = body.priority!;
        }
        const activeChanged = (body.active !== undefined && body.active !== flow.active) || (priorityChanged && flow.active);
        if (body.active !== undefined && body.active !== flow.active) {
          if (body.active && flow.publishedVersion == null) throw new FlowNotPublishedError(flow.id);
          if (body.active) {
            await deps.billing.assertCanAdd(tx, auth.workspaceId, 'activeFlows');
            const published = await tx.findOneOrFail(FlowVersionSchema, { flowId: flow.id, version: flow.publishedVersion! });
            // Its version keeps its publication time, which decides whose triggers the budget serves first.
            await assertTriggersFit(tx, auth.workspaceId, flow.id, published.document, published.createdAt);
          }
          flow.active = body.active!;
          audit(tx, {
            workspaceId: auth.workspaceId,
            actor: actorOf(auth),
            action: flow.active ? 'flow.activated' : 'flow.deactivated',
            target: { kind: 'flow', id: flow.id },
            details: { version: flow.publishedVersion },
            ip: req.ip,
          });
        }
        return { flow, activeChanged };
      });
      if (activeChanged) await deps.flows.changed(auth.workspaceId);
      return toFlowDto(flow, await problemsOf(em, auth.workspaceId, flow.draft));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/flows/:id',
    summary: 'Delete a flow: it stops starting runs; its versions and past runs stay for their history',
    tag: 'flows',
    auth: 'flows.write',
    params: IdParams,
    async handler({ deps, em, auth, params, req }) {
      await em.transactional(async (tx) => {
        const flow = await findFlow(tx, auth.workspaceId, params.id, LockMode.PESSIMISTIC_WRITE);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'flow.deleted',
          target: { kind: 'flow', id: flow.id },
          details: { wasActive: flow.active, version: flow.publishedVersion },
          ip: req.ip,
        });
        flow.deletedAt = deps.clock.now();
        flow.active = false;
      });
      await deps.flows.changed(auth.workspaceId);
      return undefined;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/flows/:id/publish',
    summary: 'Publish the draft as a new immutable version and activate it; 400 flow_invalid lists the problems',
    tag: 'flows',
    auth: 'flows.write',
    status: 201,
    params: IdParams,
    body: z.strictObject({
      note: z.string().trim().max(500).optional(),
      /** When set, publishing refuses with draft_conflict unless this is still the current draft revision. */
      baseRevision: z.number().int().min(1).optional(),
    }),
    response: PublishAnswerDto,
    exampleBody: { note: 'First version' },
    async handler({ deps, em, auth, params, body, req }) {
      const { flow, version, warnings, overlaps } = await em.transactional(async (tx) => {
        // The lock serialises publishes of one flow, so version numbers are taken in order.
        const flow = await findFlow(tx, auth.workspaceId, params.id, LockMode.PESSIMISTIC_WRITE);
        checkRevision(flow, body.baseRevision);
        const validation = validateFlow(flow.draft, await flowValidationOptions(tx, auth.workspaceId));
        if (!validation.ok) throw new FlowInvalidError(flow.id, validation.problems);
        await assertTriggersFit(tx, auth.workspaceId, flow.id, validation.flow, deps.clock.now());
        // Publishing activates the flow: one more active flow, within the plan's limit.
        if (!flow.active) await deps.billing.assertCanAdd(tx, auth.workspaceId, 'activeFlows');
        const overlaps = await triggerOverlapsOf(tx, auth.workspaceId, flow, validation.flow, deps.clock.now());
        const latest = await tx.findOne(
          FlowVersionSchema,
          { flowId: flow.id, testRevision: null },
          { orderBy: { version: 'desc' }, fields: ['version'] },
        );
        const wasActive = flow.active;
        // The parsed document (defaults applied) is stored: the runtime compiles it without validating again.
        const version = tx.create(FlowVersionSchema, {
          id: newId(),
          workspaceId: auth.workspaceId,
          flowId: flow.id,
          version: (latest?.version ?? 0) + 1,
          document: validation.flow,
          // The templates' current versions: later edits of a template never change this version.
          templateVersions: await pinTemplateVersions(tx, auth.workspaceId, validation.flow),
          note: body.note || null,
          publishedBy: auth.userId,
        });
        flow.publishedVersion = version.version;
        flow.active = true;
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'flow.published',
          target: { kind: 'flow', id: flow.id },
          details: { version: version.version, draftRevision: flow.draftRevision, activated: !wasActive },
          ip: req.ip,
        });
        return { flow, version, warnings: validation.warnings, overlaps };
      });
      await deps.flows.changed(auth.workspaceId);
      return { flow: toFlowDto(flow, warnings), version: toFlowVersionDto(version), overlaps };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/flows/:id/trigger-overlaps',
    summary:
      "Other active flows whose triggers answer some of the same messages as this flow's draft, and which flow starts and why (empty while the draft has problems)",
    tag: 'flows',
    auth: 'flows.read',
    params: IdParams,
    response: z.object({ items: z.array(TriggerOverlapDto) }),
    async handler({ deps, em, auth, params }) {
      const flow = await findFlow(em, auth.workspaceId, params.id);
      const validation = validateFlow(flow.draft);
      if (!validation.ok) return { items: [] };
      return { items: await triggerOverlapsOf(em, auth.workspaceId, flow, validation.flow, deps.clock.now()) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/flows/:id/versions',
    summary: "A flow's published versions, newest first",
    tag: 'flows',
    auth: 'flows.read',
    params: IdParams,
    query: PageQuery,
    response: PageDto(FlowVersionDto),
    async handler({ em, auth, params, query }) {
      const flow = await findFlow(em, auth.workspaceId, params.id);
      const cursor = decodeCursor(query.cursor);
      const before = cursor ? Number.parseInt(cursor.at, 10) : null;
      const rows = await em.find(
        FlowVersionSchema,
        {
          flowId: flow.id,
          workspaceId: auth.workspaceId,
          testRevision: null,
          ...(before !== null && Number.isFinite(before) ? { version: { $lt: before } } : {}),
        },
        { orderBy: { version: 'desc' }, limit: query.limit + 1, exclude: ['document'] },
      );
      const result = page(rows, query.limit, (v) => ({ at: String(v.version), id: v.id }));
      return { items: result.items.map(toFlowVersionDto), nextCursor: result.nextCursor };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/flows/:id/versions/:version',
    summary: 'One published version with its document (as published, defaults applied)',
    tag: 'flows',
    auth: 'flows.read',
    params: IdParams.extend({ version: z.coerce.number().int().min(1) }),
    response: FlowVersionDetailDto,
    async handler({ em, auth, params }) {
      const flow = await findFlow(em, auth.workspaceId, params.id);
      const version = await em.findOne(FlowVersionSchema, { flowId: flow.id, workspaceId: auth.workspaceId, version: params.version });
      if (!version) throw new NotFoundError('flow version', `${flow.id} v${params.version}`);
      return toFlowVersionDetailDto(version);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/flows/:id/export',
    summary: 'The flow as portable JSON ({ name, description, document }): the draft, or ?version=N',
    tag: 'flows',
    auth: 'flows.read',
    params: IdParams,
    query: z.object({ version: z.coerce.number().int().min(1).optional() }),
    response: FlowExportDto,
    async handler({ em, auth, params, query }) {
      const flow = await findFlow(em, auth.workspaceId, params.id);
      let document = flow.draft;
      if (query.version !== undefined) {
        const version = await em.findOne(FlowVersionSchema, { flowId: flow.id, workspaceId: auth.workspaceId, version: query.version });
        if (!version) throw new NotFoundError('flow version', `${flow.id} v${query.version}`);
        document = version.document as unknown as Record<string, unknown>;
      }
      return { name: flow.name, description: flow.description ?? null, document };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/flows/:id/webhook-token',
    summary: "Create the flow's inbound webhook URL (shown once; a new one replaces the old)",
    tag: 'flows',
    auth: 'flows.write',
    status: 201,
    params: IdParams,
    response: z.object({ path: z.string(), url: z.string() }),
    async handler({ deps, em, auth, params, req }) {
      const flow = await findFlow(em, auth.workspaceId, params.id);
      const { token, hash } = generateRandomToken();
      const replaced = flow.webhookTokenHash != null;
      flow.webhookTokenHash = hash;
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'flow.webhook_token_created',
        target: { kind: 'flow', id: flow.id },
        details: { replaced },
        ip: req.ip,
      });
      await em.flush();
      const path = flowWebhookPath(flow.id, token);
      // From PUBLIC_URL, never the request's Host header: a forged Host would hand out a link to
      // another server, which would then receive the webhook's token with every call.
      return { path, url: `${deps.config.publicUrl}${path}` };
    },
  }),
];
