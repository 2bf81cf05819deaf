import { z } from 'zod';
import { FLOW_SCHEMA_VERSION, MAX_FLOW_EDGES, MAX_FLOW_NODES } from '../../engine/flows/flow.schema.ts';
import { FLOW_PROBLEM_CODES, type FlowProblem } from '../../engine/flows/flow-problem.ts';
import { RUN_STATUSES } from '../../engine/runs/run-types.ts';
import type { FlowRecord } from '../../platform/db/entities/flow.entity.ts';
import type { FlowVersion } from '../../platform/db/entities/flow-version.entity.ts';

/**
 * A flow document as the API accepts it: the envelope only. Nodes and edges are checked by
 * `validateFlow`, which reports every problem with its node id instead of refusing the request,
 * because a draft may be unfinished.
 */
export const FlowDocumentInput = z.strictObject({
  schemaVersion: z.literal(FLOW_SCHEMA_VERSION),
  nodes: z.array(z.unknown()).max(MAX_FLOW_NODES),
  edges: z.array(z.unknown()).max(MAX_FLOW_EDGES),
});
export type FlowDocumentInput = z.output<typeof FlowDocumentInput>;

export const FlowNameInput = z.string().trim().min(1).max(200);
export const FlowDescriptionInput = z.string().trim().max(2_000);

export const FlowProblemDto = z.object({
  code: z.enum(FLOW_PROBLEM_CODES),
  /** `warning`: shown, but publishing goes ahead; absent: the problem blocks publishing. */
  severity: z.literal('warning').optional(),
  message: z.string(),
  nodeId: z.string().optional(),
  edgeId: z.string().optional(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
});

export const FlowSummaryDto = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  active: z.boolean(),
  publishedVersion: z.number().int().nullable(),
  /** When several active flows match a message, the highest priority starts first (default 0). */
  priority: z.number().int(),
  draftRevision: z.number().int(),
  hasWebhookToken: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type FlowSummaryDto = z.infer<typeof FlowSummaryDto>;

export const FlowListItemDto = FlowSummaryDto.extend({
  /** Runs started in the last 24 hours, by their status now. */
  runsLast24h: z.record(z.enum(RUN_STATUSES), z.number().int()),
});

export const FlowDto = FlowSummaryDto.extend({
  /** The draft, as last saved. */
  document: z.record(z.string(), z.unknown()),
  /** What `validateFlow` says of the draft: empty when it can be published. */
  problems: z.array(FlowProblemDto),
});

/** Another active flow that answers some of the same messages, and which of the two starts. */
export const TriggerOverlapDto = z.object({
  otherFlowId: z.uuid(),
  otherFlowName: z.string(),
  /** A message both answer, or null when one of them answers every message. */
  example: z.string().nullable(),
  winnerFlowId: z.uuid(),
  winnerFlowName: z.string(),
  reason: z.enum(['priority', 'specific', 'published_first']),
  message: z.string(),
});

/** Lowest and highest `priority` a flow may have. */
export const FlowPriorityInput = z
  .number()
  .int()
  .min(-1000, 'priority must be between -1000 and 1000')
  .max(1000, 'priority must be between -1000 and 1000');

export const FlowVersionDto = z.object({
  id: z.uuid(),
  flowId: z.uuid(),
  version: z.number().int(),
  note: z.string().nullable(),
  publishedBy: z.uuid().nullable(),
  /** The saved templates this version sends: template id → the template version pinned when it was published. */
  templateVersions: z.record(z.string(), z.string()),
  createdAt: z.string(),
});

export const FlowVersionDetailDto = FlowVersionDto.extend({ document: z.record(z.string(), z.unknown()) });

/** What publishing answers: the flow as it is now, the version made, and the active flows whose triggers overlap it. */
export const PublishAnswerDto = z.object({ flow: FlowDto, version: FlowVersionDto, overlaps: z.array(TriggerOverlapDto) });

/** The portable form of a flow: what export returns, import accepts and examples/flows/ holds. */
export const FlowExportDto = z.object({
  name: z.string(),
  description: z.string().nullable(),
  document: z.record(z.string(), z.unknown()),
});

export function toFlowSummaryDto(f: FlowRecord): FlowSummaryDto {
  return {
    id: f.id,
    name: f.name,
    description: f.description ?? null,
    active: f.active,
    publishedVersion: f.publishedVersion ?? null,
    priority: f.priority,
    draftRevision: f.draftRevision,
    hasWebhookToken: f.webhookTokenHash != null,
    createdAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
  };
}

export function toFlowDto(f: FlowRecord, problems: readonly FlowProblem[]): z.infer<typeof FlowDto> {
  return { ...toFlowSummaryDto(f), document: f.draft, problems: [...problems] };
}

export function toFlowVersionDto(v: Omit<FlowVersion, 'document'>): z.infer<typeof FlowVersionDto> {
  return {
    id: v.id,
    flowId: v.flowId,
    version: v.version,
    note: v.note ?? null,
    publishedBy: v.publishedBy ?? null,
    templateVersions: v.templateVersions ?? {},
    createdAt: v.createdAt.toISOString(),
  };
}

export function toFlowVersionDetailDto(v: FlowVersion): z.infer<typeof FlowVersionDetailDto> {
  return { ...toFlowVersionDto(v), document: v.document as unknown as Record<string, unknown> };
}
