import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import { compileSegment } from '../../engine/broadcasts/segment.ts';
import {
  AttributeNameSchema,
  AttributeValueSchema,
  MAX_ATTRIBUTE_VALUE_CHARS,
  MAX_ATTRIBUTES,
  MAX_NAME_CHARS,
  MAX_TAGS,
  TagSchema,
} from '../../engine/contacts/contact-fields.ts';
import { toE164 } from '../../engine/contacts/phone.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { can, CAPABILITIES } from '../../engine/tenancy/role.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import {
  attributeNamesOf,
  CONTACT_SORTS,
  eachContactBatch,
  listContacts,
  type ContactFilter,
  type ContactListRow,
} from '../../platform/contacts/contact-list.sql.ts';
import { retagContacts } from '../../platform/contacts/contact-tags.sql.ts';
import { ContactSchema } from '../../platform/db/entities/contact.entity.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { BulkTagsAnswerDto, BulkTagsInput, ContactDto, toContactDto } from '../dto/contact.dto.ts';
import { decodeCursor, encodeCursor, PageQuery } from '../pagination.ts';
import { PageDto } from '../dto/page.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';
import { privacyOf } from './retention.routes.ts';
import { recordConsent } from '../../platform/contacts/consent-history.sql.ts';
import { optInContact, optOutContact } from '../../platform/contacts/contact-consent.sql.ts';
import { lockContact, lockWaitingRunsOfContact, stopRun } from '../../platform/automation/run-store.ts';

const IdParams = z.object({ id: z.uuid() });

/** A contact's consent flags, read once its row is locked. */
const CONSENT_STATE_SQL = `select opted_out_at is not null as "optedOut", restricted_at is not null as restricted from contacts where id = :id`;
const ConsentStateRow = z.object({ optedOut: z.boolean(), restricted: z.boolean() });
const Tag = TagSchema;
const AttributeName = AttributeNameSchema;
const AttributeValue = AttributeValueSchema;

/**
 * True when a contact update touches what selects who receives automated messages (see the
 * `contacts.target` capability): tags, attributes, restriction, or clearing an opt-out.
 */
function changesTargeting(body: { attributes?: unknown; tags?: unknown; optedOut?: boolean; restricted?: boolean }): boolean {
  return body.attributes !== undefined || body.tags !== undefined || body.restricted !== undefined || body.optedOut === false;
}

/** A JSON-encoded segment rule passed in a query string (GET pages and the export link). */
const SegmentQuery = z
  .string()
  .max(20_000)
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'segment must be a JSON rule, as the segment builder writes it' });
      return z.NEVER;
    }
  });

/** The filters the Contacts page, the export and bulk tagging share. */
const FilterQuery = z.object({
  q: z.string().trim().max(200).optional(),
  tag: Tag.optional(),
  phone: z.string().max(40).optional(),
  segment: SegmentQuery.optional(),
});

function filterOf(q: { q?: string; tag?: string; phone?: string; segment?: unknown }): ContactFilter {
  return { q: q.q || null, tag: q.tag ?? null, phone: q.phone ? (toE164(q.phone) ?? q.phone) : null, segment: q.segment ?? null };
}

/** Contacts tagged per statement by a bulk action over a whole filter. */
const BULK_TAG_BATCH_ROWS = 1_000;
/** Attribute columns of an export at most (a contact holds at most MAX_ATTRIBUTES). */
const EXPORT_ATTRIBUTE_COLUMNS = MAX_ATTRIBUTES;

/** The export's fixed columns; the attribute columns follow, A to Z. The import reads them back (engine/contacts/contact-import.ts). */
const EXPORT_COLUMNS = ['Phone', 'Name', 'Tags', 'Opted out', 'Added', 'Last message'];

function exportRecord(c: ContactListRow, attributes: string[]): string[] {
  const cell = (v: unknown) =>
    v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean);
  return [
    c.phone ?? '',
    c.name ?? '',
    c.tags.join(', '),
    c.optedOutAt ? 'yes' : '',
    c.createdAt.toISOString(),
    c.lastSeenAt?.toISOString() ?? '',
    ...attributes.map((a) => cell(c.attributes[a])),
  ];
}

export const contactRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/contacts',
    summary:
      'Contacts in pages: search (name, phone, tag or attribute value contains `q`), filter by tag, phone or segment (a JSON rule), sort by newest, oldest, name or last message',
    tag: 'contacts',
    auth: 'contacts.read',
    query: PageQuery.extend(FilterQuery.shape).extend({ sort: z.enum(CONTACT_SORTS).default('newest') }),
    response: PageDto(ContactDto),
    async handler({ em, auth, query }) {
      // An invalid segment throws SegmentInvalidError before any read: 400 with every problem.
      const result = await listContacts(em, {
        workspaceId: auth.workspaceId,
        filter: filterOf(query),
        sort: query.sort,
        cursor: decodeCursor(query.cursor),
        limit: query.limit,
      });
      return { items: result.items.map(toContactDto), nextCursor: result.nextCursor ? encodeCursor(result.nextCursor) : null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/contacts',
    summary: 'Create a contact; 409 when a contact has this phone already. A national number is read in `defaultCountry`',
    tag: 'contacts',
    auth: 'contacts.manage',
    status: 201,
    body: z.strictObject({
      phone: z.string().trim().min(1).max(40),
      defaultCountry: z
        .string()
        .regex(/^[A-Za-z]{2}$/, 'a two-letter country code such as BR or US')
        .optional(),
      name: z.string().trim().min(1).max(MAX_NAME_CHARS).nullable().optional(),
      attributes: z.record(AttributeName, z.union([z.string().max(MAX_ATTRIBUTE_VALUE_CHARS), z.number(), z.boolean()])).optional(),
      tags: z.array(Tag).max(MAX_TAGS).optional(),
    }),
    response: ContactDto,
    exampleBody: { phone: '+15551230000', name: 'Sam Doe', attributes: { plan: 'pro' }, tags: ['lead'] },
    async handler({ deps, em, auth, body, req }) {
      const phone = toE164(body.phone, body.defaultCountry);
      if (!phone)
        throw new ValidationError(
          `“${body.phone}” is not a phone number${body.defaultCountry ? ` of ${body.defaultCountry.toUpperCase()}` : ' in international form (+country code)'}`,
          { details: [{ path: 'phone', message: 'not a phone number' }] },
        );
      if (body.attributes && Object.keys(body.attributes).length > MAX_ATTRIBUTES)
        throw new ValidationError(`a contact holds at most ${MAX_ATTRIBUTES} attributes`);
      const now = deps.clock.now();
      const id = newId();
      const { rowCount } = await runSql(
        em,
        `insert into contacts (id, workspace_id, phone, name, attributes, tags, created_at, updated_at)
         values (:id, :workspaceId, :phone, :name, cast(:attributes as jsonb), cast(:tags as text[]), :now, :now)
         on conflict (workspace_id, phone) where phone is not null do nothing`,
        {
          id,
          workspaceId: auth.workspaceId,
          phone,
          name: body.name ?? null,
          attributes: JSON.stringify(body.attributes ?? {}),
          tags: [...new Set(body.tags ?? [])],
          now,
        },
      );
      if (rowCount === 0)
        throw new ConflictError(`a contact with the phone ${phone} exists already`, { details: [{ path: 'phone', message: 'taken' }] });
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'contact.created',
        target: { kind: 'contact', id },
        ip: req.ip,
      });
      await em.flush();
      return toContactDto(await em.findOneOrFail(ContactSchema, { id, workspaceId: auth.workspaceId }));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/contacts/bulk-tags',
    summary:
      'Add or remove tags on many contacts: the ones named (`ids`, up to 1,000) or every contact of a filter (search, tag, segment); answers how many changed',
    tag: 'contacts',
    auth: 'contacts.manage',
    body: BulkTagsInput,
    response: BulkTagsAnswerDto,
    exampleBody: { action: 'add', tags: ['vip'], target: { kind: 'filter', filter: { q: 'ada' } } },
    async handler({ deps, em, auth, body, req }) {
      const tags = [...new Set(body.tags)];
      const now = deps.clock.now();
      let changed = 0;
      if (body.target.kind === 'ids') {
        changed = await retagContacts(em, {
          workspaceId: auth.workspaceId,
          ids: [...new Set(body.target.ids)],
          tags,
          action: body.action,
          now,
        });
      } else {
        // Each batch commits on its own: a long walk holds no lock on contacts already tagged.
        for await (const batch of eachContactBatch(em, {
          workspaceId: auth.workspaceId,
          filter: filterOf(body.target.filter),
          batchRows: BULK_TAG_BATCH_ROWS,
        })) {
          changed += await retagContacts(em, {
            workspaceId: auth.workspaceId,
            ids: batch.map((c) => c.id),
            tags,
            action: body.action,
            now,
          });
        }
      }
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: body.action === 'add' ? 'contacts.tagged' : 'contacts.untagged',
        details: { tags: tags.length, changed, target: body.target.kind },
        ip: req.ip,
      });
      await em.flush();
      return { changed };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/contacts/export.csv',
    summary:
      'The contacts of a filter (search, tag, segment) as a CSV file, streamed: phone, name, tags, consent, dates and one column per attribute',
    tag: 'contacts',
    auth: 'contacts.manage',
    query: FilterQuery,
    async handler({ deps, em, auth, query, req, res }) {
      const filter = filterOf(query);
      // Validate the segment before the first byte: an invalid rule is a 400, not a broken file.
      if (filter.segment !== null) compileSegment(filter.segment);
      const attributes = await attributeNamesOf(em, auth.workspaceId, filter, EXPORT_ATTRIBUTE_COLUMNS);
      audit(em, {
        workspaceId: auth.workspaceId,
        actor: actorOf(auth),
        action: 'contacts.exported',
        details: { filtered: Boolean(filter.q || filter.tag || filter.segment !== null) },
        ip: req.ip,
      });
      await em.flush();
      const day = deps.clock.now().toISOString().slice(0, 10);
      res.status(200).set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="contacts-${day}.csv"`,
        'cache-control': 'no-store',
      });
      const csv = stringify({ header: true, columns: [...EXPORT_COLUMNS, ...attributes] });
      const rows = (async function* () {
        for await (const batch of eachContactBatch(em, { workspaceId: auth.workspaceId, filter })) {
          for (const c of batch) yield exportRecord(c, attributes);
        }
      })();
      await pipeline(Readable.from(rows), csv, res);
      return undefined;
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
    summary:
      "Update a contact's name, attributes (merged; null removes), tags, opt-out or restriction. Agents may change the name and record an opt-out only: tags, attributes, restriction and clearing an opt-out steer automated sending (owner, admin, marketer)",
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
      const change = {
        workspaceId: auth.workspaceId,
        contactId: contact.id,
        source: auth.session?.via === 'cookie' ? ('editor' as const) : ('api' as const),
        actorUserId: auth.userId,
        at: now,
      };
      // One transaction: the flags, their history, the broadcasts' opt-out count, the stopped runs and the audit entry.
      await em.begin();
      try {
        // The contact's row first, then its runs: the engine's lock order (engine/README.md).
        await lockContact(em, contact.id);
        // Only a request that changes a consent state records it in the history, with where it came
        // from: judged on the row as it is under the lock, so that two requests sent at once (a
        // double click) record one change, not two.
        const { rows } = await runSql(em, CONSENT_STATE_SQL, { id: contact.id }, { row: ConsentStateRow });
        const state = rows[0]!;
        const optOut = body.optedOut !== undefined && body.optedOut !== state.optedOut ? body.optedOut : undefined;
        const restrict = body.restricted !== undefined && body.restricted !== state.restricted ? body.restricted : undefined;
        // The restriction has no other writer than this route; the opt-out flag is written by
        // optOutContact/optInContact, as a keyword or a flow node writes it, never by the entity.
        if (restrict !== undefined) contact.restrictedAt = restrict ? now : null;
        if (optOut === true) await optOutContact(em, change);
        if (optOut === false) await optInContact(em, change);
        if (restrict !== undefined) await recordConsent(em, { ...change, action: restrict ? 'restrict' : 'unrestrict' });
        // Opting out or restricting stops the contact's automation now: its waiting runs end.
        if (optOut === true || restrict === true) {
          const reason = restrict === true ? 'restricted: processing of this contact was restricted' : 'opted_out: an opt-out was recorded';
          for (const run of await lockWaitingRunsOfContact(em, contact.id)) await stopRun(em, run.id, reason, now);
        }
        // The audit names the fields changed, never their values (they are personal data).
        audit(em, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'contact.updated',
          target: { kind: 'contact', id: contact.id },
          details: { fields: Object.keys(body) },
          ip: req.ip,
        });
        await em.commit();
      } catch (err) {
        await em.rollback();
        throw err;
      }
      // The opt-out flag is written by SQL, not through the entity, and a request sent at the same
      // time may have changed either flag: the answer shows the row.
      if (body.optedOut !== undefined || body.restricted !== undefined) await em.refresh(contact);
      return toContactDto(contact);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/contacts/:id',
    summary:
      'Delete a contact: it is erased with everything that names it (conversations, messages, runs, files), as a privacy erasure is; 409 legal_hold while a hold covers it',
    tag: 'contacts',
    auth: 'contacts.manage',
    params: IdParams,
    async handler({ deps, em, auth, params, req }) {
      const found = await runSql(em, `select 1 from contacts where id = :id and workspace_id = :workspaceId and erased_at is null`, {
        id: params.id,
        workspaceId: auth.workspaceId,
      });
      if (found.rowCount === 0) throw new NotFoundError('contact', params.id);
      // One way to remove a person's data: the erasure (audited there, files and jobs cleaned after commit).
      await privacyOf(deps).erasure.erase(auth.workspaceId, params.id, actorOf(auth), req.ip ?? null);
      return undefined;
    },
  }),
];
