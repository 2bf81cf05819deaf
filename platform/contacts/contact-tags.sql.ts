import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../pipeline/run-sql.ts';

/*
 * Tags added to or removed from many contacts at once, by id, in one statement. Only rows that
 * change are written (and counted), so tagging twice changes nothing the second time.
 */

const ADD = `update contacts set tags = tags || array(select t from unnest(cast(:tags as text[])) as t where not t = any(tags)), updated_at = :now
  where workspace_id = :workspaceId and id = any(cast(:ids as uuid[])) and erased_at is null and not (tags @> cast(:tags as text[]))`;
const REMOVE = `update contacts set tags = array(select t from unnest(tags) as t where not t = any(cast(:tags as text[]))), updated_at = :now
  where workspace_id = :workspaceId and id = any(cast(:ids as uuid[])) and tags && cast(:tags as text[])`;

/** Adds (or removes) `tags` on the workspace's contacts named by `ids`; returns how many contacts changed. */
export async function retagContacts(
  em: EntityManager,
  p: { workspaceId: string; ids: string[]; tags: string[]; action: 'add' | 'remove'; now: Date },
): Promise<number> {
  if (p.ids.length === 0 || p.tags.length === 0) return 0;
  const { rowCount } = await runSql(em, p.action === 'add' ? ADD : REMOVE, {
    workspaceId: p.workspaceId,
    ids: p.ids,
    tags: p.tags,
    now: p.now,
  });
  return rowCount;
}
