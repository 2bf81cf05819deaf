import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { FlowSchema, type Flow } from '../../engine/flows/flow.schema.ts';
import { findTriggerOverlaps, type NamedFlow, type TriggerOverlap } from '../../engine/flows/trigger-overlap.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { selectActiveFlowVersions } from './active-flow-versions.sql.ts';

const VERSION_DOCUMENTS_SQL = `select id, document from flow_versions where id = any(cast(:versionIds as uuid[])) and workspace_id = :workspaceId`;
const VersionDocumentRow = z.object({ id: z.string(), document: FlowSchema });

/** The workspace's active flows with their published documents, as overlap checks need them. */
export async function activeNamedFlows(em: EntityManager, workspaceId: string): Promise<NamedFlow[]> {
  const versions = await selectActiveFlowVersions(em, workspaceId);
  if (versions.length === 0) return [];
  const { rows } = await runSql(
    em,
    VERSION_DOCUMENTS_SQL,
    { versionIds: versions.map((v) => v.versionId), workspaceId },
    { row: VersionDocumentRow },
  );
  const documents = new Map(rows.map((r) => [r.id, r.document]));
  return versions.flatMap((v) => {
    const flow = documents.get(v.versionId);
    return flow ? [{ flowId: v.flowId, versionId: v.versionId, publishedAt: v.publishedAt, priority: v.priority, name: v.name, flow }] : [];
  });
}

/**
 * What publishing `document` as flow `flow` would share with the workspace's other active flows:
 * each overlap names the flow that wins and why (see findTriggerOverlaps). `publishedAt`: now for
 * a publication about to happen.
 */
export async function triggerOverlapsOf(
  em: EntityManager,
  workspaceId: string,
  flow: { id: string; name: string; priority: number },
  document: Flow,
  publishedAt: Date,
): Promise<TriggerOverlap[]> {
  const active = await activeNamedFlows(em, workspaceId);
  return findTriggerOverlaps(
    { flowId: flow.id, versionId: 'candidate', name: flow.name, priority: flow.priority, publishedAt, flow: document },
    active,
  );
}
