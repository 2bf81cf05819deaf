import { z } from 'zod';
import { ExportNotReadyError } from '../../engine/errors/export-not-ready.error.ts';
import { NotFoundError, UnauthenticatedError } from '../../engine/errors/app-error.ts';
import { findExport, listExports } from '../../connectors/retention/contact-export.ts';
import { findHold, listHolds, refreshContactHoldFlag } from '../../connectors/retention/legal-holds.sql.ts';
import { exportPath } from '../../connectors/retention/privacy-files.ts';
import {
  cancelWorkspaceDeletion,
  deleteDueWorkspaces,
  deleteUserAccount,
  requestWorkspaceDeletion,
} from '../../connectors/retention/workspace-deletion.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { consentHistory } from '../../platform/contacts/consent-history.sql.ts';
import { verifyPassword } from '../../platform/crypto/password.ts';
import { UserSchema } from '../../platform/db/entities/user.entity.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { WrongPasswordError } from '../auth/wrong-password.error.ts';
import { ConsentEventDto, ExportDto, LegalHoldDto, toExportDto, toLegalHoldDto } from '../dto/privacy.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';
import { privacyOf } from './retention.routes.ts';

const IdParams = z.object({ id: z.uuid() });
const RECENT = 100;

const HoldInput = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('workspace'), reason: z.string().trim().min(1).max(500) }),
  z.strictObject({ scope: z.literal('contact'), contactId: z.uuid(), reason: z.string().trim().min(1).max(500) }),
  z.strictObject({ scope: z.literal('conversation'), conversationId: z.uuid(), reason: z.string().trim().min(1).max(500) }),
]);

/*
 * Legal holds and data-subject requests (issue 16). A hold keeps data from sweeps and erasure
 * until released. Export and erasure are admin actions; every one is audited without the data.
 */
export const legalHoldRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/legal-holds',
    summary: 'Legal holds of the workspace, newest first (active and released)',
    tag: 'legal-holds',
    auth: 'privacy.manage',
    response: z.object({ items: z.array(LegalHoldDto) }),
    async handler({ em, auth }) {
      return { items: (await listHolds(em, auth.workspaceId, RECENT)).map(toLegalHoldDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/legal-holds',
    summary: 'Place a legal hold on the workspace, a contact or a conversation: its data is neither swept nor erased until released',
    tag: 'legal-holds',
    auth: 'privacy.manage',
    status: 201,
    body: HoldInput,
    response: LegalHoldDto,
    exampleBody: { scope: 'workspace', reason: 'Litigation hold, case 2026-14' },
    async handler({ deps, em, auth, body, req }) {
      const id = newId();
      await em.transactional(async (tx) => {
        // The target must be the workspace's own; its contact row is locked (erasure checks holds under that lock).
        if (body.scope === 'contact') {
          const found = await runSql(tx, `select 1 from contacts where id = :id and workspace_id = :workspaceId for update`, {
            id: body.contactId,
            workspaceId: auth.workspaceId,
          });
          if (found.rowCount === 0) throw new NotFoundError('contact', body.contactId);
        }
        if (body.scope === 'conversation') {
          const found = await runSql(
            tx,
            `select 1 from contacts c join conversations v on v.contact_id = c.id where v.id = :id and v.workspace_id = :workspaceId for update of c`,
            { id: body.conversationId, workspaceId: auth.workspaceId },
          );
          if (found.rowCount === 0) throw new NotFoundError('conversation', body.conversationId);
        }
        await runSql(
          tx,
          `insert into legal_holds (id, workspace_id, scope, contact_id, conversation_id, reason, created_by, created_at)
           values (:id, :workspaceId, :scope, cast(:contactId as uuid), cast(:conversationId as uuid), :reason, cast(:userId as uuid), :now)`,
          {
            id,
            workspaceId: auth.workspaceId,
            scope: body.scope,
            contactId: body.scope === 'contact' ? body.contactId : null,
            conversationId: body.scope === 'conversation' ? body.conversationId : null,
            reason: body.reason,
            userId: auth.userId,
            now: deps.clock.now(),
          },
        );
        if (body.scope === 'contact') await refreshContactHoldFlag(tx, body.contactId);
        // The reason is the admin's own words about the case: kept on the hold, not copied into the log.
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'legal_hold.placed',
          target: { kind: 'legal_hold', id },
          details: { scope: body.scope },
          ip: req.ip,
        });
      });
      return toLegalHoldDto((await findHold(em, auth.workspaceId, id))!);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/legal-holds/:id',
    summary: 'Release a legal hold: its data follows the retention policy again from the next sweep',
    tag: 'legal-holds',
    auth: 'privacy.manage',
    params: IdParams,
    response: LegalHoldDto,
    async handler({ deps, em, auth, params, req }) {
      await em.transactional(async (tx) => {
        const hold = await findHold(tx, auth.workspaceId, params.id);
        if (!hold) throw new NotFoundError('legal hold', params.id);
        if (hold.releasedAt !== null) return;
        await runSql(
          tx,
          `update legal_holds set released_at = :now, released_by = cast(:userId as uuid) where id = :id and released_at is null`,
          { id: params.id, now: deps.clock.now(), userId: auth.userId },
        );
        if (hold.contactId) await refreshContactHoldFlag(tx, hold.contactId);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'legal_hold.released',
          target: { kind: 'legal_hold', id: params.id },
          details: { scope: hold.scope },
          ip: req.ip,
        });
      });
      return toLegalHoldDto((await findHold(em, auth.workspaceId, params.id))!);
    },
  }),
];

export const contactPrivacyRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/contacts/:id/erase',
    summary:
      'Erase a contact (right to erasure): the contact, its identities, conversations, messages, media files, notes, runs and consent history; broadcast recipient rows become anonymous tombstones. 409 legal_hold while a hold covers it. Cannot be undone',
    tag: 'contacts',
    auth: 'privacy.manage',
    params: IdParams,
    response: z.object({ erased: z.literal(true), counts: z.record(z.string(), z.number()) }),
    async handler({ deps, auth, params, req }) {
      const result = await privacyOf(deps).erasure.erase(auth.workspaceId, params.id, actorOf(auth), req.ip ?? null);
      return { erased: true as const, counts: result.counts };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/contacts/:id/export',
    summary:
      "Export all of a contact's data (right of access and portability): a background job builds one zip archive (JSON and media), downloadable by admins for 7 days",
    tag: 'contacts',
    auth: 'privacy.manage',
    params: IdParams,
    status: 202,
    response: ExportDto,
    async handler({ deps, em, auth, params, req }) {
      const row = await privacyOf(deps).requestExport({ workspaceId: auth.workspaceId, contactId: params.id, requestedBy: auth.userId });
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'contact.export_requested',
        target: { kind: 'contact_export', id: row.id },
        ip: req.ip,
      });
      await em.flush();
      return toExportDto(row);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/contacts/:id/consent',
    summary:
      "A contact's consent history (opt-outs, opt-ins, restrictions): when, from where (keyword, flow node, API, editor) and on which channel",
    tag: 'contacts',
    auth: 'contacts.read',
    params: IdParams,
    response: z.object({ items: z.array(ConsentEventDto) }),
    async handler({ em, auth, params }) {
      const found = await runSql(em, `select 1 from contacts where id = :id and workspace_id = :workspaceId`, {
        id: params.id,
        workspaceId: auth.workspaceId,
      });
      if (found.rowCount === 0) throw new NotFoundError('contact', params.id);
      return { items: (await consentHistory(em, auth.workspaceId, params.id)).map((e) => ({ ...e, at: e.at.toISOString() })) };
    },
  }),
];

export const exportRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/exports',
    summary: 'Contact exports, newest first (filter by contactId)',
    tag: 'exports',
    auth: 'privacy.manage',
    query: z.object({ contactId: z.uuid().optional() }),
    response: z.object({ items: z.array(ExportDto) }),
    async handler({ em, auth, query }) {
      return { items: (await listExports(em, auth.workspaceId, query.contactId ?? null, RECENT)).map(toExportDto) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/exports/:id',
    summary: 'One export: status and progress (0-100)',
    tag: 'exports',
    auth: 'privacy.manage',
    params: IdParams,
    response: ExportDto,
    async handler({ em, auth, params }) {
      const row = await findExport(em, auth.workspaceId, params.id);
      if (!row) throw new NotFoundError('export', params.id);
      return toExportDto(row);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/exports/:id/download',
    summary: 'Download a ready export archive (application/zip); 409 export_not_ready while it is built, after it failed or expired',
    tag: 'exports',
    auth: 'privacy.manage',
    params: IdParams,
    async handler({ deps, em, auth, params, req, res }) {
      const row = await findExport(em, auth.workspaceId, params.id);
      if (!row) throw new NotFoundError('export', params.id);
      if (row.status !== 'ready' || !row.fileKey) throw new ExportNotReadyError(row.id, row.status);
      const path = exportPath(privacyOf(deps).files, row.fileKey);
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'contact.export_downloaded',
        target: { kind: 'contact_export', id: row.id },
        ip: req.ip,
      });
      await em.flush();
      await new Promise<void>((resolve, reject) =>
        res.download(path, `contact-export-${row.id}.zip`, (err) => (err ? reject(err) : resolve())),
      );
      return undefined;
    },
  }),
];

export const accountRoutes = [
  defineRoute({
    method: 'delete',
    path: '/v1/auth/account',
    summary:
      'Delete your own account (with your password): your memberships, sessions and usage data go; a workspace where you are the only member goes with it. 409 sole_owner when you are the only owner of a workspace with other members',
    tag: 'auth',
    auth: 'workspace.read',
    // The account's sessions end with it: no credential of it may be trusted from the cache.
    endsCredentials: true,
    body: z.strictObject({ password: z.string().min(1).max(200) }),
    response: z.object({ deleted: z.literal(true), deletedWorkspaces: z.array(z.uuid()) }),
    exampleBody: { password: 'correct horse battery' },
    async handler({ deps, em, auth, body, req }) {
      if (!auth.userId) throw new UnauthenticatedError('an API key has no account to delete: use a session token');
      const user = await em.findOneOrFail(UserSchema, { id: auth.userId });
      if (!(await verifyPassword(body.password, user.passwordHash))) throw new WrongPasswordError();
      const userId = auth.userId;
      const result = await em.transactional((tx) => deleteUserAccount(tx, { userId, ip: req.ip ?? null }));
      if (result.deletedWorkspaces.length > 0) {
        const service = privacyOf(deps);
        await deleteDueWorkspaces({ orm: deps.orm, files: service.files, config: deps.config, logger: deps.logger }, deps.clock.now());
      }
      return { deleted: true as const, deletedWorkspaces: result.deletedWorkspaces };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/workspace/deletion',
    summary:
      'Schedule the deletion of this workspace and everything in it, 7 days from now (cancel meanwhile with DELETE); owners only; 409 legal_hold under a workspace hold',
    tag: 'workspace',
    auth: 'workspace.delete',
    status: 202,
    response: z.object({ dueAt: z.string() }),
    async handler({ deps, em, auth, req }) {
      const due = await em.transactional(async (tx) => {
        const at = await requestWorkspaceDeletion(tx, { workspaceId: auth.workspaceId, userId: auth.userId, now: deps.clock.now() });
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'workspace.deletion_requested',
          target: { kind: 'workspace', id: auth.workspaceId },
          details: { dueAt: at.toISOString() },
          ip: req.ip,
        });
        return at;
      });
      return { dueAt: due.toISOString() };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/workspace/deletion',
    summary: "Cancel the workspace's scheduled deletion",
    tag: 'workspace',
    auth: 'workspace.delete',
    async handler({ em, auth, req }) {
      await em.transactional(async (tx) => {
        await cancelWorkspaceDeletion(tx, auth.workspaceId);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'workspace.deletion_cancelled',
          target: { kind: 'workspace', id: auth.workspaceId },
          ip: req.ip,
        });
      });
      return undefined;
    },
  }),
];
