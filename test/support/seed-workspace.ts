import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/** A workspace with one connected sandbox channel, under the ids given, written straight to the database. */
export async function seedWorkspaceWithSandbox(
  em: EntityManager,
  p: { workspaceId: string; channelId: string; name: string; channelName?: string },
): Promise<void> {
  await runSql(em, `insert into workspaces (id, name) values (:workspaceId, :name)`, { workspaceId: p.workspaceId, name: p.name });
  await runSql(
    em,
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', :channelName, 'connected')`,
    { channelId: p.channelId, workspaceId: p.workspaceId, channelName: p.channelName ?? 'Sandbox' },
  );
}
