import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../pipeline/run-sql.ts';

/** The published version of one of a workspace's active flows. */
export interface ActiveFlowVersion {
  flowId: string;
  versionId: string;
  version: number;
  /** When the version was published: ties between equally specific triggers go to the oldest. */
  publishedAt: Date;
  /** `flows.priority`: higher wins before the triggers' specificity is compared. */
  priority: number;
  /** The flow's name, for warnings that name it. */
  name: string;
  /**
   * When the flow's first version was published: a message that arrived before it is never
   * matched against the flow (it is not replayed into a flow published after it arrived).
   */
  firstPublishedAt: Date;
}

/** The published versions of a workspace's active, not deleted flows, oldest publication first. */
export async function selectActiveFlowVersions(em: EntityManager, workspaceId: string): Promise<ActiveFlowVersion[]> {
  const { rows } = await runSql<ActiveFlowVersion>(
    em,
    `select f.id as "flowId", v.id as "versionId", v.version, v.created_at as "publishedAt", f.priority, f.name,
            (select min(first.created_at) from flow_versions first where first.flow_id = f.id and first.test_revision is null) as "firstPublishedAt"
       from flows f join flow_versions v on v.flow_id = f.id and v.version = f.published_version
      where f.workspace_id = :workspaceId and f.active and f.deleted_at is null
      order by v.created_at, f.id`,
    { workspaceId },
  );
  return rows;
}
