import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../engine/errors/app-error.ts';
import { TemplateInUseError, type TemplateUsers } from '../../engine/errors/template-in-use.error.ts';
import { contactTemplateValues } from '../../engine/runs/flow-data.ts';
import type { ContactFacts } from '../../engine/runs/run-types.ts';
import {
  LANGUAGE_ATTRIBUTE,
  renderTemplateContent,
  TemplateContentSchema,
  type MessageTemplateVersion,
  type RenderedTemplate,
  type TemplateContent,
} from '../../engine/templates/message-template.ts';
import { templateReferences } from '../../engine/templates/template-references.ts';
import { newId } from '../ids.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';

/*
 * The `message_templates` and `message_template_versions` tables. A template row names the
 * current version; versions are only ever inserted. Every read filters on the workspace.
 */

/**
 * A template as lists and the editor see it: its current version's content. Rows are parsed at
 * the boundary: a stored content is a `TemplateContent` again (languages normalised).
 */
const MessageTemplateRow = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number(),
  versionId: z.string(),
  content: TemplateContentSchema,
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type MessageTemplate = z.infer<typeof MessageTemplateRow>;

/** A flow whose published version pinned a version of a template. */
const VersionFlowPinRow = z.object({
  id: z.string(),
  name: z.string(),
  flowVersion: z.number(),
  active: z.boolean(),
});
export type VersionFlowPin = z.infer<typeof VersionFlowPinRow>;

/**
 * A broadcast that recorded a version of a template when it started. `startedAt` is never null
 * here: `template_version_id` is written only in the transaction that starts the broadcast
 * (which sets `started_at`, whether it runs or fails for an empty audience).
 */
const VersionBroadcastPinRow = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  startedAt: z.date(),
});
export type VersionBroadcastPin = z.infer<typeof VersionBroadcastPinRow>;

/** One version of a template, for its history: who wrote it, when, and what sends it now. */
export interface MessageTemplateVersionSummary {
  id: string;
  version: number;
  content: TemplateContent;
  createdBy: { id: string; name: string } | null;
  createdAt: Date;
  /** Flows whose published version sends this version. */
  flows: VersionFlowPin[];
  /** Broadcasts that sent (or send) this version, most recent first. */
  broadcasts: VersionBroadcastPin[];
}

const NameRow = z.object({ name: z.string() });
/** A flow or broadcast that sends a template. */
const IdNameRow = z.object({ id: z.string(), name: z.string() });
const CannedResponseUserRow = z.object({ id: z.string(), shortcut: z.string() });
const CurrentVersionRow = z.object({ id: z.string(), versionId: z.string() });
/** A pinned version as sends read it (`MessageTemplateVersion`). */
const PinnedVersionRow = z.object({
  id: z.string(),
  templateId: z.string(),
  version: z.number(),
  name: z.string(),
  content: TemplateContentSchema,
});
const WorkspaceNameRow = z.object({ name: z.string(), timezone: z.string() });

const SELECT_TEMPLATE = `select t.id, t.name, v.version, v.id as "versionId", v.content, t.created_at as "createdAt", t.updated_at as "updatedAt"
  from message_templates t join message_template_versions v on v.id = t.current_version_id`;

/** Unique-name violation (`message_templates_name`) as a user's error. */
function nameTaken(err: unknown, name: string): unknown {
  return (err as { code?: string; constraint?: string }).code === '23505' ? new TemplateNameTakenError(name) : err;
}

/** Two live templates of one workspace may not share a name (case ignored): pickers show names. */
export class TemplateNameTakenError extends ConflictError {
  constructor(readonly templateName: string) {
    super(`a template named "${templateName}" exists already: pick another name`);
  }
}

export async function listTemplates(em: EntityManager, workspaceId: string): Promise<MessageTemplate[]> {
  const { rows } = await runSql(
    em,
    `${SELECT_TEMPLATE} where t.workspace_id = :workspaceId and t.deleted_at is null order by lower(t.name), t.id`,
    { workspaceId },
    { row: MessageTemplateRow },
  );
  return rows;
}

/**
 * The template with this id in the workspace (deleted ones are gone), or NotFoundError. `share`
 * locks its row until the transaction ends: what is about to reference it (a broadcast, a canned
 * response) and a delete, which locks it `for update`, then happen one after the other.
 */
export async function getTemplate(
  em: EntityManager,
  workspaceId: string,
  id: string,
  opts: { lock?: 'share' } = {},
): Promise<MessageTemplate> {
  const lock = opts.lock === 'share' ? 'for share of t' : '';
  const { rows } = await runSql(
    em,
    `${SELECT_TEMPLATE} where t.workspace_id = :workspaceId and t.id = :id and t.deleted_at is null ${lock}`,
    { workspaceId, id },
    { row: MessageTemplateRow },
  );
  if (!rows[0]) throw new NotFoundError('template', id);
  return rows[0];
}

async function insertVersion(
  em: EntityManager,
  input: { workspaceId: string; templateId: string; version: number; content: TemplateContent; createdBy: string | null; now: Date },
): Promise<string> {
  const id = newId();
  await runSql(
    em,
    `insert into message_template_versions (id, workspace_id, template_id, version, content, created_by, created_at) values (:id, :workspaceId, :templateId, :version, cast(:content as jsonb), :createdBy, :now)`,
    { id, ...input, content: JSON.stringify(input.content) },
  );
  return id;
}

/** Creates a template with its version 1. */
export async function createTemplate(
  em: EntityManager,
  workspaceId: string,
  input: { name: string; content: TemplateContent; createdBy: string | null; now: Date },
): Promise<string> {
  const id = newId();
  const versionId = newId();
  try {
    // One statement: the template and its first version exist together or not at all.
    await runSql(
      em,
      `with t as (insert into message_templates (id, workspace_id, name, current_version_id, created_by, created_at, updated_at) values (:id, :workspaceId, :name, :versionId, :createdBy, :now, :now) returning id)
       insert into message_template_versions (id, workspace_id, template_id, version, content, created_by, created_at) select :versionId, :workspaceId, t.id, 1, cast(:content as jsonb), :createdBy, :now from t`,
      { id, versionId, workspaceId, name: input.name, content: JSON.stringify(input.content), createdBy: input.createdBy, now: input.now },
    );
  } catch (err) {
    throw nameTaken(err, input.name);
  }
  return id;
}

/**
 * An edit: a new immutable version becomes current (the name may change with it). Drafts,
 * broadcasts and canned responses send the current version from then on; published flow
 * versions keep the version they pinned.
 */
export async function editTemplate(
  em: EntityManager,
  workspaceId: string,
  id: string,
  input: { name?: string | undefined; content?: TemplateContent | undefined; editedBy: string | null; now: Date },
): Promise<void> {
  // The row lock serialises edits of one template, so version numbers are taken in order.
  const { rows } = await runSql(
    em,
    `select name from message_templates where workspace_id = :workspaceId and id = :id and deleted_at is null for update`,
    { workspaceId, id },
    { row: NameRow },
  );
  if (!rows[0]) throw new NotFoundError('template', id);
  const current = await getTemplate(em, workspaceId, id);
  const name = input.name ?? current.name;
  const versionId = await insertVersion(em, {
    workspaceId,
    templateId: id,
    version: current.version + 1,
    content: input.content ?? current.content,
    createdBy: input.editedBy,
    now: input.now,
  });
  try {
    await runSql(
      em,
      `update message_templates set name = :name, current_version_id = :versionId, updated_at = :now where workspace_id = :workspaceId and id = :id`,
      { name, versionId, now: input.now, workspaceId, id },
    );
  } catch (err) {
    throw nameTaken(err, name);
  }
}

/** A version as its history lists it (its author left-joined: gone, or never known, is null). */
const TemplateVersionRow = z.object({
  id: z.string(),
  version: z.number(),
  content: TemplateContentSchema,
  createdById: z.string().nullable(),
  createdByName: z.string().nullable(),
  createdAt: z.date(),
});

/** The versions of one template, newest first, each with what sends it now. */
export async function listTemplateVersions(em: EntityManager, workspaceId: string, id: string): Promise<MessageTemplateVersionSummary[]> {
  await getTemplate(em, workspaceId, id);
  const { rows } = await runSql(
    em,
    `select v.id, v.version, v.content, v.created_by as "createdById", u.name as "createdByName", v.created_at as "createdAt"
       from message_template_versions v left join users u on u.id = v.created_by
      where v.workspace_id = :workspaceId and v.template_id = :id order by v.version desc`,
    { workspaceId, id },
    { row: TemplateVersionRow },
  );
  const pins = await versionPins(em, workspaceId, id);
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    content: r.content,
    createdBy: r.createdById ? { id: r.createdById, name: r.createdByName ?? '' } : null,
    createdAt: r.createdAt,
    flows: pins.flows.filter((f) => f.versionId === r.id).map(({ versionId: _, ...f }) => f),
    broadcasts: pins.broadcasts.filter((b) => b.versionId === r.id).map(({ versionId: _, ...b }) => b),
  }));
}

/** A pin with the version of the template it pinned. */
const FlowPinRow = VersionFlowPinRow.extend({ versionId: z.string() });
const BroadcastPinRow = VersionBroadcastPinRow.extend({ versionId: z.string() });

/**
 * Which version of a template each flow's published version pinned, and each started
 * broadcast recorded (the 20 most recent: a recurring broadcast makes one per occurrence).
 */
async function versionPins(
  em: EntityManager,
  workspaceId: string,
  templateId: string,
): Promise<{ flows: (VersionFlowPin & { versionId: string })[]; broadcasts: (VersionBroadcastPin & { versionId: string })[] }> {
  const flows = await runSql(
    em,
    `select f.id, f.name, v.version as "flowVersion", f.active, v.template_versions ->> cast(:templateId as text) as "versionId"
       from flows f join flow_versions v on v.flow_id = f.id and v.version = f.published_version and v.test_revision is null
      where f.workspace_id = :workspaceId and f.deleted_at is null and v.template_versions ? cast(:templateId as text)
      order by lower(f.name), f.id`,
    { workspaceId, templateId },
    { row: FlowPinRow },
  );
  const broadcasts = await runSql(
    em,
    `select b.id, b.name, b.state, b.started_at as "startedAt", b.template_version_id as "versionId"
       from broadcasts b join message_template_versions tv on tv.id = b.template_version_id
      where b.workspace_id = :workspaceId and tv.template_id = :templateId
      order by b.started_at desc, b.id desc limit 20`,
    { workspaceId, templateId },
    { row: BroadcastPinRow },
  );
  return { flows: flows.rows, broadcasts: broadcasts.rows };
}

/** The flows whose published version sends this template (deleted flows excluded). */
async function flowsPinning(em: EntityManager, workspaceId: string, templateId: string): Promise<{ id: string; name: string }[]> {
  const { rows } = await runSql(
    em,
    `select f.id, f.name from flows f join flow_versions v on v.flow_id = f.id and v.version = f.published_version and v.test_revision is null
      where f.workspace_id = :workspaceId and f.deleted_at is null and v.template_versions ->> cast(:templateId as text) is not null
      order by lower(f.name), f.id`,
    { workspaceId, templateId },
    { row: IdNameRow },
  );
  return rows;
}

/** What sends a template now: published flow versions, unfinished broadcasts, canned responses. */
async function templateUsers(em: EntityManager, workspaceId: string, templateId: string): Promise<TemplateUsers> {
  const flows = await flowsPinning(em, workspaceId, templateId);
  const { rows: broadcasts } = await runSql(
    em,
    `select id, name from broadcasts
      where workspace_id = :workspaceId and state in ('scheduled', 'running', 'paused')
        and content ->> 'kind' = 'template' and content ->> 'templateId' = cast(:templateId as text)
      order by created_at, id`,
    { workspaceId, templateId },
    { row: IdNameRow },
  );
  const { rows: cannedResponses } = await runSql(
    em,
    `select id, shortcut from canned_responses where workspace_id = :workspaceId and template_id = :templateId order by shortcut`,
    { workspaceId, templateId },
    { row: CannedResponseUserRow },
  );
  return { flows, broadcasts, cannedResponses };
}

/**
 * Deletes a template unless something sends it (TemplateInUseError names them): the published
 * version of a flow, active or not (switching one on again must not find its template gone), a
 * broadcast scheduled, running or paused, or a canned response. The row and its versions stay,
 * marked deleted: runs still waiting in an older flow version send what that version pinned.
 * Drafts (of flows and broadcasts) that send it show a problem.
 */
export async function deleteTemplate(em: EntityManager, workspaceId: string, id: string, now: Date): Promise<MessageTemplate> {
  const { rows } = await runSql(
    em,
    `select id from message_templates where workspace_id = :workspaceId and id = :id and deleted_at is null for update`,
    { workspaceId, id },
    { row: IdRow },
  );
  if (!rows[0]) throw new NotFoundError('template', id);
  const template = await getTemplate(em, workspaceId, id);
  const users = await templateUsers(em, workspaceId, id);
  if (users.flows.length + users.broadcasts.length + users.cannedResponses.length > 0) throw new TemplateInUseError(template.name, users);
  await runSql(em, `update message_templates set deleted_at = :now, updated_at = :now where workspace_id = :workspaceId and id = :id`, {
    now,
    workspaceId,
    id,
  });
  return template;
}

/** The ids of the workspace's live templates, for validating flows that send them. */
export async function workspaceTemplateIds(em: EntityManager, workspaceId: string): Promise<Set<string>> {
  const { rows } = await runSql(
    em,
    `select id from message_templates where workspace_id = :workspaceId and deleted_at is null`,
    { workspaceId },
    { row: IdRow },
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * What a flow version being published pins: for each template its document sends, the id of
 * the template's current version. Call after validating with `workspaceTemplateIds` (a template
 * deleted meanwhile is simply left out, and its step fails with template_missing).
 */
export async function pinTemplateVersions(
  em: EntityManager,
  workspaceId: string,
  document: { nodes: readonly { id: string; type: string; config: unknown }[] },
): Promise<Record<string, string>> {
  const ids = [...new Set(templateReferences(document).map((r) => r.templateId))];
  if (ids.length === 0) return {};
  const { rows } = await runSql(
    em,
    `select id, current_version_id as "versionId" from message_templates where workspace_id = :workspaceId and deleted_at is null and id = any(cast(:ids as uuid[]))`,
    { workspaceId, ids },
    { row: CurrentVersionRow },
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.versionId]));
}

/** Pinned versions by id, as a flow version's runs read them (immutable, so cacheable forever). */
export async function loadTemplateVersions(em: EntityManager, versionIds: readonly string[]): Promise<MessageTemplateVersion[]> {
  if (versionIds.length === 0) return [];
  const { rows } = await runSql(
    em,
    `select v.id, v.template_id as "templateId", v.version, t.name, v.content from message_template_versions v join message_templates t on t.id = v.template_id where v.id = any(cast(:versionIds as uuid[]))`,
    { versionIds: [...versionIds] },
    { row: PinnedVersionRow },
  );
  return rows;
}

/**
 * A template's content rendered for one contact of the workspace, as a send renders it: the
 * variant of `language` (the contact's `language` attribute unless one is asked for), its
 * variables filled from the contact (attributes also at the top level) and the workspace.
 */
export async function renderTemplateForContact(
  em: EntityManager,
  workspaceId: string,
  content: TemplateContent,
  contact: ContactFacts,
  language?: string,
): Promise<RenderedTemplate> {
  const { rows } = await runSql(
    em,
    `select name, timezone from workspaces where id = :workspaceId`,
    { workspaceId },
    { row: WorkspaceNameRow },
  );
  return renderTemplateContent(content, language ?? contact.attributes[LANGUAGE_ATTRIBUTE], {
    contact: contactTemplateValues(contact),
    workspace: rows[0],
  });
}
