import { z } from 'zod';
import { TagSchema } from '../../engine/contacts/contact-fields.ts';
import type { Contact } from '../../platform/db/entities/contact.entity.ts';

/** The contacts of a filter, as the Contacts page shows them (a body's form of its query). */
export const ContactFilterBody = z.strictObject({
  q: z.string().trim().max(200).optional(),
  tag: TagSchema.optional(),
  segment: z.unknown().optional(),
});

/** Tags added to or removed from the contacts named, or every contact of a filter (POST /v1/contacts/bulk-tags). */
export const BulkTagsInput = z.strictObject({
  action: z.enum(['add', 'remove']),
  tags: z.array(TagSchema).min(1).max(20),
  target: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('ids'), ids: z.array(z.uuid()).min(1).max(1_000) }),
    z.strictObject({ kind: z.literal('filter'), filter: ContactFilterBody }),
  ]),
});

/** How many contacts a bulk tag change changed. */
export const BulkTagsAnswerDto = z.object({ changed: z.number().int() });

export const ContactDto = z.object({
  id: z.uuid(),
  phone: z.string().nullable(),
  name: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  optedOut: z.boolean(),
  restricted: z.boolean(),
  legalHold: z.boolean(),
  erased: z.boolean(),
  createdAt: z.string(),
  lastSeenAt: z.string().nullable(),
});

/** The fields a contact's answer shows: an entity, or a row of the contact list. */
export type ContactView = Pick<
  Contact,
  'id' | 'phone' | 'name' | 'attributes' | 'tags' | 'optedOutAt' | 'restrictedAt' | 'legalHold' | 'erasedAt' | 'createdAt' | 'lastSeenAt'
>;

export function toContactDto(c: ContactView): z.infer<typeof ContactDto> {
  return {
    id: c.id,
    phone: c.phone ?? null,
    name: c.name ?? null,
    attributes: c.attributes,
    tags: c.tags,
    optedOut: c.optedOutAt != null,
    restricted: c.restrictedAt != null,
    legalHold: c.legalHold,
    erased: c.erasedAt != null,
    createdAt: c.createdAt.toISOString(),
    lastSeenAt: c.lastSeenAt?.toISOString() ?? null,
  };
}
