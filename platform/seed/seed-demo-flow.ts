import { readFileSync } from 'node:fs';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import { validateFlow } from '../../engine/flows/validate-flow.ts';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** The example the demo workspace runs: replies to "hi" (and "price") on every channel. */
const DEMO_FLOW_FILE = new URL('../../examples/flows/keyword-auto-reply.json', import.meta.url);

interface ExportedFlow {
  name: string;
  description: string | null;
  document: unknown;
}

/**
 * Gives the demo workspace the keyword auto-reply flow, published (version 1) and active.
 * Only when the workspace has no flow yet, so a flow the person deleted or edited is left
 * alone; the workspace row is locked first, so that processes seeding at once add it once.
 * Returns true when this call added it.
 */
export async function seedDemoFlow(tx: EntityManager, workspaceId: string, now: Date): Promise<boolean> {
  await runSql(tx, `select id from workspaces where id = :workspaceId for update`, { workspaceId });
  if ((await runSql(tx, `select id from flows where workspace_id = :workspaceId limit 1`, { workspaceId })).rows.length > 0) return false;

  const exported = JSON.parse(readFileSync(DEMO_FLOW_FILE, 'utf8')) as ExportedFlow;
  const validation = validateFlow(exported.document);
  if (!validation.ok)
    // The file ships with the code: a flow that does not validate is a bug of this release.
    throw new InvariantError(
      `examples/flows/keyword-auto-reply.json is not a valid flow: ${validation.problems.map((p) => `${p.code} ${p.message}`).join('; ')}`,
      { file: 'examples/flows/keyword-auto-reply.json' },
    );
  const flowId = newId();
  await runSql(
    tx,
    `insert into flows (id, workspace_id, name, description, draft, draft_revision, active, published_version, created_at, updated_at)
     values (:flowId, :workspaceId, :name, :description, cast(:draft as jsonb), 1, true, 1, :now, :now)`,
    { flowId, workspaceId, name: exported.name, description: exported.description, draft: JSON.stringify(exported.document), now },
  );
  // The version holds the parsed document (defaults applied), as publishing through the API does.
  await runSql(
    tx,
    `insert into flow_versions (id, workspace_id, flow_id, version, document, note, created_at) values (:id, :workspaceId, :flowId, 1, cast(:document as jsonb), 'Demo flow', :now)`,
    { id: newId(), workspaceId, flowId, document: JSON.stringify(validation.flow), now },
  );
  return true;
}
