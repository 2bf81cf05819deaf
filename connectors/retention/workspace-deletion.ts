import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { LegalHoldError } from '../../engine/errors/legal-hold.error.ts';
import { SoleOwnerError } from '../../engine/errors/sole-owner.error.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import type { Config } from '../../platform/config.ts';
import type { Orm } from '../../platform/db/orm.ts';
import type { Logger } from '../../platform/logger.ts';
import { IdRow, runSql } from '../../platform/pipeline/run-sql.ts';
import { removePendingFiles, type PrivacyFiles } from './privacy-files.ts';

/** An owner's request to delete a workspace takes effect this long after it is made (it may be cancelled meanwhile). */
export const WORKSPACE_DELETION_GRACE_MS = 7 * 24 * 60 * 60_000;

const WorkspaceHoldRow = z.object({ id: z.string(), reason: z.string() });
/** deletion_due_at as set by the request: never null (coalesce with the new date). */
const DeletionDueRow = z.object({ due: z.date() });
const DueWorkspaceRow = z.object({ id: z.string(), requestedBy: z.string().nullable() });
const MembershipRow = z.object({ workspaceId: z.string(), role: z.string(), owners: z.number(), members: z.number() });

/** Schedules the workspace's deletion; refused while the workspace is under a legal hold. Returns when it will happen. */
export async function requestWorkspaceDeletion(
  em: EntityManager,
  p: { workspaceId: string; userId: string | null; now: Date },
): Promise<Date> {
  const hold = (
    await runSql(
      em,
      `select id, reason from legal_holds where workspace_id = :workspaceId and scope = 'workspace' and released_at is null limit 1`,
      p,
      { row: WorkspaceHoldRow },
    )
  ).rows[0];
  if (hold) throw new LegalHoldError('workspace', hold.id, hold.reason);
  const due = new Date(p.now.getTime() + WORKSPACE_DELETION_GRACE_MS);
  const row = (
    await runSql(
      em,
      `update workspaces set deletion_requested_at = coalesce(deletion_requested_at, :now), deletion_due_at = coalesce(deletion_due_at, :due), deletion_requested_by = coalesce(deletion_requested_by, cast(:userId as uuid))
        where id = :workspaceId returning deletion_due_at as due`,
      { ...p, due },
      { row: DeletionDueRow },
    )
  ).rows[0]!;
  return row.due;
}

export async function cancelWorkspaceDeletion(em: EntityManager, workspaceId: string): Promise<void> {
  await runSql(
    em,
    `update workspaces set deletion_requested_at = null, deletion_due_at = null, deletion_requested_by = null where id = :workspaceId`,
    { workspaceId },
  );
}

/**
 * Deletes the workspaces whose grace period is over, with everything in them: their media files
 * and export archives (queued for deletion in the same transaction), then every row (the schema
 * cascades from `workspaces`), usage data included. A workspace under a legal hold waits.
 * Each deletion is audited with no workspace (the workspace's own log goes with it).
 */
export async function deleteDueWorkspaces(
  deps: { orm: Orm; files: PrivacyFiles; config: Config; logger: Logger },
  now: Date,
): Promise<string[]> {
  const em = deps.orm.em.fork();
  const due = (
    await runSql(
      em,
      `select id, deletion_requested_by as "requestedBy" from workspaces w where deletion_due_at <= :now
          and not exists (select 1 from legal_holds h where h.workspace_id = w.id and h.scope = 'workspace' and h.released_at is null)`,
      { now },
      { row: DueWorkspaceRow },
    )
  ).rows;
  const deleted: string[] = [];
  for (const w of due) {
    const channels = await em.fork().transactional(async (tx) => {
      const channelIds = (await runSql(tx, `select id from channels where workspace_id = :id`, { id: w.id }, { row: IdRow })).rows.map(
        (r) => r.id,
      );
      await runSql(
        tx,
        `insert into pending_file_deletions (kind, key)
         select 'media', media ->> 'storageKey' from messages where workspace_id = :id and media ? 'storageKey'
         union select 'export', file_key from contact_exports where workspace_id = :id and file_key is not null
         on conflict do nothing`,
        { id: w.id },
      );
      await runSql(tx, `delete from usage_events where workspace_id = :id`, { id: w.id });
      await runSql(tx, `delete from workspaces where id = :id`, { id: w.id });
      audit(tx, {
        workspaceId: null,
        actor: w.requestedBy ? { kind: 'user', id: w.requestedBy } : { kind: 'system', id: null },
        action: 'workspace.deleted',
        target: { kind: 'workspace', id: w.id },
      });
      return channelIds;
    });
    await removePendingFiles(em, deps.files);
    // A channel's media folder may hold files no row names (a download whose message was never stored).
    const mediaRoot = resolve(deps.config.whatsapp?.mediaDir ?? `${deps.config.dataDir}/media`);
    for (const channelId of channels) await rm(join(mediaRoot, channelId), { recursive: true, force: true });
    await rm(join(deps.files.exportsDir, w.id), { recursive: true, force: true });
    deps.logger.info({ workspaceId: w.id }, 'workspace deleted after its grace period');
    deleted.push(w.id);
  }
  return deleted;
}

/**
 * Deletes a platform user's own account: their memberships and sessions (cascade) and their
 * usage data. Refused for the only owner of a workspace that has other members (SoleOwnerError).
 * A workspace where they are the only member is deleted with them, at once.
 */
export async function deleteUserAccount(
  em: EntityManager,
  p: { userId: string; ip: string | null },
): Promise<{ deletedWorkspaces: string[] }> {
  const memberships = (
    await runSql(
      em,
      `select m.workspace_id as "workspaceId", m.role,
              (select count(*) from memberships o where o.workspace_id = m.workspace_id and o.role = 'owner') as owners,
              (select count(*) from memberships o where o.workspace_id = m.workspace_id) as members
         from memberships m where m.user_id = :userId for update`,
      { userId: p.userId },
      { row: MembershipRow },
    )
  ).rows;
  const blocked = memberships.filter((m) => m.role === 'owner' && m.owners === 1 && m.members > 1).map((m) => m.workspaceId);
  if (blocked.length > 0) throw new SoleOwnerError(blocked);
  const alone = memberships.filter((m) => m.members === 1).map((m) => m.workspaceId);
  for (const m of memberships) {
    if (!alone.includes(m.workspaceId))
      audit(em, {
        workspaceId: m.workspaceId,
        actor: { kind: 'user', id: p.userId },
        action: 'user.deleted',
        target: { kind: 'user', id: p.userId },
        ip: p.ip,
      });
  }
  for (const workspaceId of alone) {
    // Their own workspace, with no one else in it: it goes with the account (grace has no one to serve).
    await runSql(
      em,
      `update workspaces set deletion_requested_at = now(), deletion_due_at = now(), deletion_requested_by = null where id = :workspaceId`,
      { workspaceId },
    );
  }
  await runSql(em, `delete from usage_events where user_id = :userId`, { userId: p.userId });
  await runSql(em, `delete from users where id = :userId`, { userId: p.userId });
  return { deletedWorkspaces: alone };
}
