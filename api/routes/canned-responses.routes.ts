import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { parseTemplate, renderTemplate } from '../../engine/flows/template.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { getTemplate, renderTemplateForContact } from '../../platform/templates/template-store.ts';
import { CannedRenderDto, CannedResponseDto } from '../dto/inbox.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';
import { ContactFactsRow } from './contact-facts-row.ts';
import { findVisibleConversation } from './conversation-access.ts';

const IdParams = z.object({ id: z.uuid() });

/** The text of a quick reply: placeholders such as {{contact.name | "there"}} are filled from the conversation's contact. */
const CannedText = z
  .string()
  .trim()
  .min(1)
  .max(4_096)
  .superRefine((text, ctx) => {
    const parsed = parseTemplate(text);
    if (!parsed.ok) for (const p of parsed.problems) ctx.addIssue({ code: 'custom', message: p.message });
  });

const SELECT = `select c.id, c.shortcut, c.title, c.text, c.template_id as "templateId", t.name as "templateName", c.created_at as "createdAt", c.updated_at as "updatedAt"
  from canned_responses c left join message_templates t on t.id = c.template_id`;

/** A canned response: a text or a template (exactly one of the two), the template's name from the left join. */
const CannedResponseRow = z.object({
  id: z.string(),
  shortcut: z.string(),
  title: z.string(),
  text: z.string().nullable(),
  templateId: z.string().nullable(),
  templateName: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
type CannedResponse = z.infer<typeof CannedResponseRow>;

const toDto = (r: CannedResponse): z.infer<typeof CannedResponseDto> => ({
  id: r.id,
  shortcut: r.shortcut,
  title: r.title,
  text: r.text,
  template: r.templateId === null ? null : { id: r.templateId, name: r.templateName ?? '' },
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

async function getCanned(em: EntityManager, workspaceId: string, id: string): Promise<CannedResponse> {
  const { rows } = await runSql(
    em,
    `${SELECT} where c.workspace_id = :workspaceId and c.id = :id`,
    { workspaceId, id },
    { row: CannedResponseRow },
  );
  if (!rows[0]) throw new NotFoundError('canned response', id);
  return rows[0];
}

function shortcutTaken(err: unknown, shortcut: string): unknown {
  return (err as { code?: string }).code === '23505' ? new ConflictError(`the shortcut "${shortcut}" is used already`) : err;
}

/** The template a canned response is to insert: the workspace's own (another's answers 404), share-locked against a delete until the write commits. */
async function referencedTemplate(em: EntityManager, workspaceId: string, templateId: string | null): Promise<string | null> {
  if (templateId === null) return null;
  return (await getTemplate(em, workspaceId, templateId, { lock: 'share' })).id;
}

const Shortcut = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, - and _, at most 40');

/*
 * Canned responses: quick replies an agent inserts into the reply box by shortcut. Each holds a
 * text with {{contact.name}}-style placeholders, or names a saved template (one shortcut, every
 * language: the contact's variant is inserted, always the template's current version). `render`
 * fills either in for one conversation; the agent edits it and sends it as any reply. Everyone
 * who replies may list and render; owners and admins manage them.
 */
export const cannedResponseRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/canned-responses',
    summary: 'Canned responses (quick replies); q filters by shortcut, title, text or template name',
    tag: 'canned-responses',
    auth: 'conversations.reply',
    query: z.object({ q: z.string().trim().min(1).max(100).optional() }),
    response: z.object({ items: z.array(CannedResponseDto) }),
    async handler({ em, auth, query }) {
      const q = query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const { rows } = await runSql(
        em,
        `${SELECT} where c.workspace_id = :workspaceId and (cast(:q as text) is null or c.shortcut ilike cast(:q as text) or c.title ilike cast(:q as text) or c.text ilike cast(:q as text) or t.name ilike cast(:q as text)) order by c.shortcut`,
        { workspaceId: auth.workspaceId, q },
        { row: CannedResponseRow },
      );
      return { items: rows.map(toDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/canned-responses',
    summary:
      "Create a canned response: a text with {{contact.name}}-style placeholders, or a saved template by id (agents get the contact's language variant, filled in)",
    tag: 'canned-responses',
    auth: 'canned_responses.manage',
    status: 201,
    body: z
      .strictObject({
        shortcut: Shortcut,
        title: z.string().trim().min(1).max(100),
        text: CannedText.optional(),
        templateId: z.uuid().optional(),
      })
      .refine((b) => (b.text === undefined) !== (b.templateId === undefined), {
        message: 'write a text or pick a template (one of the two)',
        path: ['text'],
      }),
    response: CannedResponseDto,
    exampleBody: { shortcut: 'hello', title: 'Greeting', text: 'Hi {{contact.name | "there"}}, how can I help?' },
    async handler({ deps, em, auth, body, req }) {
      const id = newId();
      await em.transactional(async (tx) => {
        const now = deps.clock.now();
        const templateId = await referencedTemplate(tx, auth.workspaceId, body.templateId ?? null);
        try {
          await runSql(
            tx,
            `insert into canned_responses (id, workspace_id, shortcut, title, text, template_id, created_at, updated_at) values (:id, :workspaceId, :shortcut, :title, :text, :templateId, :now, :now)`,
            { id, workspaceId: auth.workspaceId, shortcut: body.shortcut, title: body.title, text: body.text ?? null, templateId, now },
          );
        } catch (err) {
          throw shortcutTaken(err, body.shortcut);
        }
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'canned_response.created',
          target: { kind: 'canned_response', id },
          ip: req.ip,
        });
      });
      return toDto(await getCanned(em, auth.workspaceId, id));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/canned-responses/:id',
    summary: 'Change a canned response',
    tag: 'canned-responses',
    auth: 'canned_responses.manage',
    params: IdParams,
    body: z
      .strictObject({
        shortcut: Shortcut.optional(),
        title: z.string().trim().min(1).max(100).optional(),
        text: CannedText.optional(),
        templateId: z.uuid().optional(),
      })
      .refine((b) => b.text === undefined || b.templateId === undefined, {
        message: 'write a text or pick a template, not both',
        path: ['text'],
      }),
    response: CannedResponseDto,
    exampleBody: { title: 'Warm greeting' },
    async handler({ deps, em, auth, params, body, req }) {
      await em.transactional(async (tx) => {
        const row = await getCanned(tx, auth.workspaceId, params.id);
        // A text replaces the template it inserted, and a template the text.
        const templateId =
          body.templateId !== undefined
            ? await referencedTemplate(tx, auth.workspaceId, body.templateId)
            : body.text !== undefined
              ? null
              : row.templateId;
        const next = {
          shortcut: body.shortcut ?? row.shortcut,
          title: body.title ?? row.title,
          text: body.templateId !== undefined ? null : (body.text ?? row.text),
          templateId,
        };
        try {
          await runSql(
            tx,
            `update canned_responses set shortcut = :shortcut, title = :title, text = :text, template_id = :templateId, updated_at = :now where workspace_id = :workspaceId and id = :id`,
            { ...next, id: row.id, workspaceId: auth.workspaceId, now: deps.clock.now() },
          );
        } catch (err) {
          throw shortcutTaken(err, next.shortcut);
        }
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'canned_response.updated',
          target: { kind: 'canned_response', id: row.id },
          ip: req.ip,
        });
      });
      return toDto(await getCanned(em, auth.workspaceId, params.id));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/canned-responses/:id',
    summary: 'Delete a canned response',
    tag: 'canned-responses',
    auth: 'canned_responses.manage',
    params: IdParams,
    async handler({ em, auth, params, req }) {
      await em.transactional(async (tx) => {
        const row = await getCanned(tx, auth.workspaceId, params.id);
        await runSql(tx, `delete from canned_responses where workspace_id = :workspaceId and id = :id`, {
          workspaceId: auth.workspaceId,
          id: row.id,
        });
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'canned_response.deleted',
          target: { kind: 'canned_response', id: row.id },
          ip: req.ip,
        });
      });
      return undefined;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/canned-responses/:id/render',
    summary:
      "A canned response filled in for a conversation's contact (nothing is sent): its text's placeholders, or its template's current version in the contact's language (else the template's fallback)",
    tag: 'canned-responses',
    auth: 'conversations.reply',
    params: IdParams,
    body: z.strictObject({ conversationId: z.uuid() }),
    response: CannedRenderDto,
    exampleBody: { conversationId: '00000000-0000-4000-8000-000000000000' },
    async handler({ em, auth, params, body }) {
      const row = await getCanned(em, auth.workspaceId, params.id);
      const conversation = await findVisibleConversation(em, auth, body.conversationId);
      const { rows } = await runSql(
        em,
        `select id, name, phone, attributes, tags from contacts where id = :id and workspace_id = :workspaceId`,
        { id: conversation.contactId, workspaceId: auth.workspaceId },
        { row: ContactFactsRow },
      );
      const contact = rows[0];
      if (!contact) throw new NotFoundError('contact', conversation.contactId);
      if (row.templateId !== null) {
        const template = await getTemplate(em, auth.workspaceId, row.templateId);
        const rendered = await renderTemplateForContact(em, auth.workspaceId, template.content, contact);
        return { ...rendered, template: { id: template.id, name: template.name, version: template.version } };
      }
      const parsed = parseTemplate(row.text ?? '');
      if (!parsed.ok) throw new ValidationError('the canned response no longer parses: edit it', { details: parsed.problems });
      return { text: renderTemplate(parsed.template, { contact }), mediaUrl: null, language: null, template: null };
    },
  }),
];
