import { validateFlow } from '../../engine/flows/validate-flow.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { TestApi } from './api-harness.ts';

/**
 * Publishes a flow document straight into the database (validated as the API would) and tells
 * the engine, for engine tests that should not depend on the flows API.
 */
export async function publishFlow(
  api: TestApi,
  workspaceId: string,
  document: unknown,
  name = 'test flow',
): Promise<{ flowId: string; versionId: string }> {
  const validation = validateFlow(document);
  if (!validation.ok) throw new Error(`invalid test flow: ${JSON.stringify(validation.problems)}`);
  const em = api.env.orm.em.fork();
  const flowId = newId();
  const versionId = newId();
  await runSql(
    em,
    `insert into flows (id, workspace_id, name, draft, active, published_version) values (:flowId, :workspaceId, :name, cast(:doc as jsonb), true, 1)`,
    { flowId, workspaceId, name, doc: JSON.stringify(document) },
  );
  await runSql(
    em,
    `insert into flow_versions (id, workspace_id, flow_id, version, document) values (:versionId, :workspaceId, :flowId, 1, cast(:doc as jsonb))`,
    { versionId, workspaceId, flowId, doc: JSON.stringify(validation.flow) },
  );
  await api.process.engine.flowsChanged(workspaceId);
  return { flowId, versionId };
}
