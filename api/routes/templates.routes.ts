import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import type { ContactFacts } from '../../engine/runs/run-types.ts';
import { SAMPLE_CONTACT } from '../../engine/templates/message-template.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import {
  createTemplate,
  deleteTemplate,
  editTemplate,
  getTemplate,
  listTemplates,
  listTemplateVersions,
  renderTemplateForContact,
} from '../../platform/templates/template-store.ts';
import {
  TemplateDto,
  TemplateInput,
  TemplatePreviewDto,
  TemplatePreviewInput,
  TemplateVersionDto,
  toTemplateDto,
  toTemplateVersionDto,
} from '../dto/template.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';
import { ContactFactsRow } from './contact-facts-row.ts';

const IdParams = z.object({ id: z.uuid() });

async function previewContact(
  em: EntityManager,
  workspaceId: string,
  contactId: string | undefined,
): Promise<{ facts: ContactFacts; sample: boolean }> {
  if (contactId === undefined) return { facts: { ...SAMPLE_CONTACT, attributes: {}, tags: [...SAMPLE_CONTACT.tags] }, sample: true };
  const { rows } = await runSql(
    em,
    `select id, name, phone, attributes, tags from contacts where workspace_id = :workspaceId and id = :contactId and erased_at is null`,
    { workspaceId, contactId },
    { row: ContactFactsRow },
  );
  if (!rows[0]) throw new NotFoundError('contact', contactId);
  return { facts: rows[0], sample: false };
}

const exampleContent = {
  fallbackLanguage: 'en',
  variants: [
    { language: 'en', text: 'Hi {{contact.name | "there"}}, your order is on its way!' },
    { language: 'es', text: '¡Hola {{contact.name | "amigo"}}, tu pedido está en camino!' },
  ],
};

/*
 * Saved message templates: a name and immutable versions of language variants (text with
 * {{variables}}, an optional media URL). Send_message nodes, broadcasts and agents' replies
 * name a template by id; published flow versions pin the version current at publish time.
 */
export const templateRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/templates',
    summary: "The workspace's saved message templates, each with its current version, by name",
    tag: 'templates',
    auth: 'templates.read',
    response: z.object({ items: z.array(TemplateDto) }),
    async handler({ em, auth }) {
      return { items: (await listTemplates(em, auth.workspaceId)).map(toTemplateDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/templates',
    summary:
      'Create a template (version 1): language variants of a text with {{variables}} and an optional media URL, and the fallback language',
    tag: 'templates',
    auth: 'templates.manage',
    status: 201,
    body: TemplateInput,
    response: TemplateDto,
    exampleBody: { name: 'Order shipped', content: exampleContent },
    async handler({ deps, em, auth, body, req }) {
      const id = await em.transactional(async (tx) => {
        const id = await createTemplate(tx, auth.workspaceId, {
          name: body.name,
          content: body.content,
          createdBy: auth.userId,
          now: deps.clock.now(),
        });
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'template.created',
          target: { kind: 'template', id },
          details: { version: 1 },
          ip: req.ip,
        });
        return id;
      });
      return toTemplateDto(await getTemplate(em, auth.workspaceId, id));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/templates/:id',
    summary: 'One template with its current version',
    tag: 'templates',
    auth: 'templates.read',
    params: IdParams,
    response: TemplateDto,
    async handler({ em, auth, params }) {
      return toTemplateDto(await getTemplate(em, auth.workspaceId, params.id));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/templates/:id',
    summary:
      'Edit a template: a new immutable version becomes current (drafts, broadcasts and agents send it from now on; published flows keep the version they pinned)',
    tag: 'templates',
    auth: 'templates.manage',
    params: IdParams,
    body: TemplateInput.partial().refine((b) => b.name !== undefined || b.content !== undefined, {
      message: 'nothing to change: send name or content',
    }),
    response: TemplateDto,
    exampleBody: { name: 'Order shipped (v2)' },
    async handler({ deps, em, auth, params, body, req }) {
      await em.transactional(async (tx) => {
        await editTemplate(tx, auth.workspaceId, params.id, {
          name: body.name,
          content: body.content,
          editedBy: auth.userId,
          now: deps.clock.now(),
        });
        const edited = await getTemplate(tx, auth.workspaceId, params.id);
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'template.edited',
          target: { kind: 'template', id: params.id },
          details: { version: edited.version },
          ip: req.ip,
        });
      });
      return toTemplateDto(await getTemplate(em, auth.workspaceId, params.id));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/templates/:id',
    summary:
      'Delete a template; 409 template_in_use names what sends it: flows whose published version does, broadcasts not finished yet, canned responses',
    tag: 'templates',
    auth: 'templates.manage',
    params: IdParams,
    async handler({ deps, em, auth, params, req }) {
      await em.transactional(async (tx) => {
        const deleted = await deleteTemplate(tx, auth.workspaceId, params.id, deps.clock.now());
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'template.deleted',
          target: { kind: 'template', id: params.id },
          details: { version: deleted.version },
          ip: req.ip,
        });
      });
      return undefined;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/templates/:id/versions',
    summary:
      "A template's versions, newest first (every edit made one), each with the flows whose published version sends it and the broadcasts that recorded it",
    tag: 'templates',
    auth: 'templates.read',
    params: IdParams,
    response: z.object({ items: z.array(TemplateVersionDto) }),
    async handler({ em, auth, params }) {
      return { items: (await listTemplateVersions(em, auth.workspaceId, params.id)).map(toTemplateVersionDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/templates/:id/preview',
    summary:
      "The current version rendered for a contact of the workspace (or a sample contact), in the contact's language or the one asked for; nothing is sent",
    tag: 'templates',
    auth: 'templates.read',
    params: IdParams,
    body: TemplatePreviewInput,
    response: TemplatePreviewDto,
    exampleBody: { language: 'es' },
    async handler({ em, auth, params, body }) {
      const template = await getTemplate(em, auth.workspaceId, params.id);
      const contact = await previewContact(em, auth.workspaceId, body.contactId);
      const rendered = await renderTemplateForContact(em, auth.workspaceId, template.content, contact.facts, body.language);
      return { ...rendered, contact: { id: contact.sample ? null : contact.facts.id, name: contact.facts.name, sample: contact.sample } };
    },
  }),
];
