import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { parseTemplate, renderTemplate } from '../../engine/flows/template.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { CannedResponseDto } from '../dto/inbox.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';
import { findVisibleConversation } from './conversation-access.ts';

const IdParams = z.object({ id: z.uuid() });

/** The text of a quick reply: placeholders such as {{contact.name | "there"}} are filled from the conversation's contact. */
const CannedText = z.string().trim().min(1).max(4_096).superRefine((text, ctx) => {
  const parsed = parseTemplate(text);
  if (!parsed.ok) for (const p of parsed.problems) ctx.addIssue({ code: 'custom', message: p.message });
});

type Row = Omit<z.infer<typeof CannedResponseDto>, 'createdAt' | 'updatedAt'> & { createdAt: Date; updatedAt: Date };
const SELECT = `select id, shortcut, title, text, created_at as "createdAt", updated_at as "updatedAt" from canned_responses`;

const toDto = (r: Row): z.infer<typeof CannedResponseDto> => ({ ...r, createdAt: new Date(r.createdAt).toISOString(), updatedAt: new Date(r.updatedAt).toISOString() });

async function getCanned(em: EntityManager, workspaceId: string, id: string): Promise<Row> {
  const { rows } = await runSql<Row>(em, `${SELECT} where workspace_id = :workspaceId and id = :id`, { workspaceId, id });
  if (!rows[0]) throw new NotFoundError('canned response', id);
  return rows[0];
}

function shortcutTaken(err: unknown, shortcut: string): unknown {
  return (err as { code?: string }).code === '23505' ? new ConflictError(`the shortcut "${shortcut}" is used already`) : err;
}

const Shortcut = z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, - and _, at most 40');

/*
 * Canned responses: quick replies an agent inserts into the reply box by shortcut. Their text
 * may hold {{contact.name}}-style placeholders, filled for one conversation by `render` (the
 * agent then sends it as any reply). Everyone who replies may list and render; owners and admins
 * manage them.
 */
export const cannedResponseRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/canned-responses',
    summary: 'Canned responses (quick replies); q filters by shortcut, title or text',
    tag: 'canned-responses',
    auth: 'conversations.reply',
    query: z.object({ q: z.string().trim().min(1).max(100).optional() }),
    response: z.object({ items: z.array(CannedResponseDto) }),
    async handler({ em, auth, query }) {
      const q = query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const { rows } = await runSql<Row>(em, `${SELECT} where workspace_id = :workspaceId and (cast(:q as text) is null or shortcut ilike cast(:q as text) or title ilike cast(:q as text) or text ilike cast(:q as text)) order by shortcut`, { workspaceId: auth.workspaceId, q });
      return { items: rows.map(toDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/canned-responses',
    summary: 'Create a canned response; its text may use {{contact.name}}-style placeholders',
    tag: 'canned-responses',
    auth: 'canned_responses.manage',
    status: 201,
    body: z.strictObject({ shortcut: Shortcut, title: z.string().trim().min(1).max(100), text: CannedText }),
    response: CannedResponseDto,
    exampleBody: { shortcut: 'hello', title: 'Greeting', text: 'Hi {{contact.name | "there"}}, how can I help?' },
    async handler({ deps, em, auth, body, req }) {
      const id = newId();
      await em.transactional(async (tx) => {
        const now = deps.clock.now();
        try {
          await runSql(tx, `insert into canned_responses (id, workspace_id, shortcut, title, text, created_at, updated_at) values (:id, :workspaceId, :shortcut, :title, :text, :now, :now)`, { id, workspaceId: auth.workspaceId, ...body, now });
        } catch (err) {
          throw shortcutTaken(err, body.shortcut);
        }
        audit(tx, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'canned_response.created', target: { kind: 'canned_response', id }, ip: req.ip });
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
    body: z.strictObject({ shortcut: Shortcut.optional(), title: z.string().trim().min(1).max(100).optional(), text: CannedText.optional() }),
    response: CannedResponseDto,
    exampleBody: { title: 'Warm greeting' },
    async handler({ deps, em, auth, params, body, req }) {
      await em.transactional(async (tx) => {
        const row = await getCanned(tx, auth.workspaceId, params.id);
        const next = { shortcut: body.shortcut ?? row.shortcut, title: body.title ?? row.title, text: body.text ?? row.text };
        try {
          await runSql(tx, `update canned_responses set shortcut = :shortcut, title = :title, text = :text, updated_at = :now where workspace_id = :workspaceId and id = :id`, { ...next, id: row.id, workspaceId: auth.workspaceId, now: deps.clock.now() });
        } catch (err) {
          throw shortcutTaken(err, next.shortcut);
        }
        audit(tx, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'canned_response.updated', target: { kind: 'canned_response', id: row.id }, ip: req.ip });
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
        await runSql(tx, `delete from canned_responses where workspace_id = :workspaceId and id = :id`, { workspaceId: auth.workspaceId, id: row.id });
        audit(tx, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'canned_response.deleted', target: { kind: 'canned_response', id: row.id }, ip: req.ip });
      });
      return undefined;
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/canned-responses/:id/render',
    summary: "A canned response's text with its placeholders filled for a conversation's contact (nothing is sent)",
    tag: 'canned-responses',
    auth: 'conversations.reply',
    params: IdParams,
    body: z.strictObject({ conversationId: z.uuid() }),
    response: z.object({ text: z.string() }),
    exampleBody: { conversationId: '00000000-0000-4000-8000-000000000000' },
    async handler({ em, auth, params, body }) {
      const row = await getCanned(em, auth.workspaceId, params.id);
      const conversation = await findVisibleConversation(em, auth, body.conversationId);
      const { rows } = await runSql<{ contact: Record<string, unknown> }>(em, `select json_build_object('id', c.id, 'name', c.name, 'phone', c.phone, 'attributes', c.attributes, 'tags', c.tags) as contact from contacts c where c.id = :id and c.workspace_id = :workspaceId`, { id: conversation.contactId, workspaceId: auth.workspaceId });
      const parsed = parseTemplate(row.text);
      if (!parsed.ok) throw new ValidationError('the canned response no longer parses: edit it', { details: parsed.problems });
      return { text: renderTemplate(parsed.template, { contact: rows[0]?.contact ?? {} }) };
    },
  }),
];
