import type { FilterQuery } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ForbiddenError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { can, CAPABILITIES } from '../../engine/tenancy/role.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { ContactSchema, type Contact } from '../../platform/db/entities/contact.entity.ts';
import { ContactDto, toContactDto } from '../dto/contact.dto.ts';
import { decodeCursor, page, PageQuery } from '../pagination.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';
import { recordConsent, type ConsentAction } from '../../platform/contacts/consent-history.sql.ts';
import { lockContact, lockWaitingRunsOfContact, stopRun } from '../../platform/engine/run-store.ts';

const IdParams = z.object({ id: z.uuid() });
const Tag = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} _:-]+$/u, 'letters, digits, space, _ : - only');
/** Attribute names become template variables (`{{contact.plan}}`), so they stay simple. */
const AttributeName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'an attribute name is a letter or _ then up to 63 letters, digits or _');
const AttributeValue = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);
const MAX_ATTRIBUTES = 100;

/**
 * True when a contact update touches what selects who receives automated messages (see the
 * `contacts.target` capability): tags, attributes, restriction, or clearing an opt-out.
 */
function changesTargeting(body: { attributes?: unknown; tags?: unknown; optedOut?: boolean; restricted?: boolean }): boolean {
  return body.attributes !== undefined || body.tags !== undefined || body.restricted !== undefined || body.optedOut === false;
}

export const contactRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/contacts',
    summary: 'Contacts, newest first; filter by tag or phone',
    tag: 'contacts',
    auth: 'contacts.read',
    query: PageQuery.extend({ tag: Tag.optional(), phone: z.string().max(40).optional() }),
    response: z.object({ items: z.array(ContactDto), nextCursor: z.string().nullable() }),
    async handler({ em, auth, query }) {
      const where: FilterQuery<Contact> = { workspaceId: auth.workspaceId };
      if (query.tag) where.tags = { $contains: [query.tag] };
      if (query.phone) where.phone = query.phone;
      const cursor = decodeCursor(query.cursor);
      if (cursor) {
        const at = new Date(cursor.at);
        where.$or = [{ createdAt: { $lt: at } }, { createdAt: at, id: { $lt: cursor.id } }];
      }
      const rows = await em.find(ContactSchema, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
      const result = page(rows, query.limit, (c) => ({ at: c.createdAt.toISOString(), id: c.id }));
      return { items: result.items.map(toContactDto), nextCursor: result.nextCursor };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/contacts/:id',
    summary: 'One contact',
    tag: 'contacts',
    auth: 'contacts.read',
    params: IdParams,
    response: ContactDto,
    async handler({ em, auth, params }) {
      const contact = await em.findOne(ContactSchema, { id: params.id, workspaceId: auth.workspaceId });
      if (!contact) throw new NotFoundError('contact', params.id);
      return toContactDto(contact);
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/contacts/:id',
    summary: "Update a contact's name, attributes (merged; null removes), tags, opt-out or restriction. Agents may change the name and record an opt-out only: tags, attributes, restriction and clearing an opt-out steer automated sending (owner, admin, marketer)",
    tag: 'contacts',
    auth: 'contacts.write',
    params: IdParams,
    body: z
      .object({
        name: z.string().trim().min(1).max(200).nullable().optional(),
        attributes: z.record(AttributeName, AttributeValue).optional(),
        tags: z.array(Tag).max(100).optional(),
        optedOut: z.boolean().optional(),
        restricted: z.boolean().optional(),
      })
      .strict(),
    response: ContactDto,
    exampleBody: { name: 'Sam Doe', attributes: { plan: 'pro' }, tags: ['lead'] },
    async handler({ deps, em, auth, params, body, req }) {
      const contact = await em.findOne(ContactSchema, { id: params.id, workspaceId: auth.workspaceId });
      if (!contact) throw new NotFoundError('contact', params.id);
      if (changesTargeting(body) && !can(auth.role, 'contacts.target')) throw new ForbiddenError(CAPABILITIES['contacts.target']);
      const now = deps.clock.now();
      if (body.name !== undefined) contact.name = body.name;
      if (body.attributes) {
        const merged: Record<string, unknown> = { ...contact.attributes };
        for (const [k, v] of Object.entries(body.attributes)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        if (Object.keys(merged).length > MAX_ATTRIBUTES) throw new ValidationError(`a contact holds at most ${MAX_ATTRIBUTES} attributes`);
        contact.attributes = merged;
      }
      if (body.tags) contact.tags = [...new Set(body.tags)];
      // Each consent change that changes the state is recorded in the history, with where it came from.
      const consent: ConsentAction[] = [];
      if (body.optedOut !== undefined && body.optedOut !== (contact.optedOutAt !== null)) consent.push(body.optedOut ? 'opt_out' : 'opt_in');
      if (body.restricted !== undefined && body.restricted !== (contact.restrictedAt !== null)) consent.push(body.restricted ? 'restrict' : 'unrestrict');
      if (body.optedOut !== undefined) contact.optedOutAt = body.optedOut ? (contact.optedOutAt ?? now) : null;
      if (body.restricted !== undefined) contact.restrictedAt = body.restricted ? (contact.restrictedAt ?? now) : null;
      const source = auth.session?.via === 'cookie' ? 'editor' : 'api';
      // One transaction: the flags, their history, the stopped runs and the audit entry.
      await em.begin();
      try {
        // The contact's row first, then its runs: the engine's lock order (engine/README.md).
        await lockContact(em, contact.id);
        for (const action of consent) await recordConsent(em, { workspaceId: auth.workspaceId, contactId: contact.id, action, source, actorUserId: auth.userId, at: now });
        // Opting out or restricting stops the contact's automation now: its waiting runs end.
        if (consent.includes('opt_out') || consent.includes('restrict')) {
          const reason = consent.includes('restrict') ? 'restricted: processing of this contact was restricted' : 'opted_out: an opt-out was recorded';
          for (const run of await lockWaitingRunsOfContact(em, contact.id)) await stopRun(em, run.id, reason, now);
        }
        // The audit names the fields changed, never their values (they are personal data).
        audit(em, { workspaceId: auth.workspaceId, actor: actorOf(auth), action: 'contact.updated', target: { kind: 'contact', id: contact.id }, details: { fields: Object.keys(body) }, ip: req.ip });
        await em.commit();
      } catch (err) {
        await em.rollback();
        throw err;
      }
      return toContactDto(contact);
    },
  }),
];
