import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { FlowInvalidError } from '../../engine/errors/flow-invalid.error.ts';
import type { FlowProblem } from '../../engine/flows/flow-problem.ts';
import { FlowSchema, type Flow } from '../../engine/flows/flow.schema.ts';
import { triggersPushedOut, type PublishedFlow } from '../../engine/flows/trigger-match.ts';
import { MAX_WORKSPACE_PATTERN_PROGRAM_SIZE } from '../../engine/flows/user-pattern.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { selectActiveFlowVersions } from './active-flow-versions.sql.ts';

const NAMED_VERSIONS_SQL = `select v.id, v.document, f.name, f.id as "flowId" from flow_versions v join flows f on f.id = v.flow_id where v.id = any(cast(:versionIds as uuid[]))`;
const NamedVersionRow = z.object({ id: z.string(), document: FlowSchema, name: z.string(), flowId: z.string() });

/**
 * Refuses (FlowInvalidError) to publish or switch on `document` as flow `flowId` when the
 * workspace's regex and "contains" triggers would then exceed their shared budget
 * (MAX_WORKSPACE_PATTERN_PROGRAM_SIZE): the trigger index would leave some out, and a marketer
 * would find a trigger that silently never fires, theirs or another flow's. Said at publication,
 * with the flows named, it is a choice they can make. `publishedAt`: now for a publication, the
 * version's own time for switching a flow on again.
 */
export async function assertTriggersFit(
  em: EntityManager,
  workspaceId: string,
  flowId: string,
  document: Flow,
  publishedAt: Date,
): Promise<void> {
  const versions = await selectActiveFlowVersions(em, workspaceId);
  const { rows } = await runSql(em, NAMED_VERSIONS_SQL, { versionIds: versions.map((v) => v.versionId) }, { row: NamedVersionRow });
  const byVersion = new Map(rows.map((r) => [r.id, r]));
  const active: PublishedFlow[] = versions.flatMap((v) => {
    const row = byVersion.get(v.versionId);
    return row ? [{ flowId: v.flowId, versionId: v.versionId, publishedAt: v.publishedAt, flow: row.document }] : [];
  });
  const pushedOut = triggersPushedOut(active, { flowId, versionId: 'candidate', publishedAt, flow: document });
  if (pushedOut.length === 0) return;
  const names = new Map(rows.map((r) => [r.flowId, r.name]));
  const problems: FlowProblem[] = pushedOut.map((t) =>
    t.flowId === flowId
      ? {
          code: 'regex_unsafe',
          nodeId: t.nodeId,
          message: `together with the workspace's other active flows, this flow's regex and "contains" keyword triggers are too big to check on every message (at most ${MAX_WORKSPACE_PATTERN_PROGRAM_SIZE} steps per character for the whole workspace): use exact or starts-with keywords, fewer or smaller patterns, or switch off another flow that uses them`,
        }
      : {
          code: 'regex_unsafe',
          message: `publishing this flow would switch off a trigger of the flow "${names.get(t.flowId) ?? t.flowId}": the workspace's regex and "contains" keyword triggers together would be too big to check on every message (at most ${MAX_WORKSPACE_PATTERN_PROGRAM_SIZE} steps per character); use exact or starts-with keywords, fewer or smaller patterns, or switch off a flow that uses them`,
        },
  );
  throw new FlowInvalidError(flowId, problems);
}
