import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../pipeline/run-sql.ts';

const ACTIVE_FLOW_VERSIONS_SQL = `select f.id as "flowId", v.id as "versionId", v.version, v.created_at as "publishedAt", f.priority, f.name,
            (select min(first.created_at) from flow_versions first where first.flow_id = f.id and first.test_revision is null) as "firstPublishedAt"
       from flows f join flow_versions v on v.flow_id = f.id and v.version = f.published_version
      where f.workspace_id = :workspaceId and f.active and f.deleted_at is null
      order by v.created_at, f.id`;

/** The published version of one of a workspace's active flows. */
const ActiveFlowVersionRow = z.object({
  flowId: z.string(),
  versionId: z.string(),
  version: z.number(),
  /** When the version was published: ties between equally specific triggers go to the oldest. */
  publishedAt: z.date(),
  /** `flows.priority`: higher wins before the triggers' specificity is compared. */
  priority: z.number(),
  /** The flow's name, for warnings that name it. */
  name: z.string(),
  /**
   * When the flow's first version was published: a message that arrived before it is never
   * matched against the flow (it is not replayed into a flow published after it arrived). Never
   * null: the published version itself is one of the versions counted (a published version is
   * above 0, so its test_revision is null: flow_versions_test_is_version_0).
   */
  firstPublishedAt: z.date(),
});
export type ActiveFlowVersion = z.infer<typeof ActiveFlowVersionRow>;

/** The published versions of a workspace's active, not deleted flows, oldest publication first. */
export async function selectActiveFlowVersions(em: EntityManager, workspaceId: string): Promise<ActiveFlowVersion[]> {
  const { rows } = await runSql(em, ACTIVE_FLOW_VERSIONS_SQL, { workspaceId }, { row: ActiveFlowVersionRow });
  return rows;
}
