import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { compileSegment, type CompiledSegment } from '../../engine/broadcasts/segment.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { computedColumnsFor, SegmentComputedColumns, SegmentContactColumns } from '../broadcasts/segment-scan.ts';

/*
 * The workspace's contacts as the Contacts page, the export and bulk tagging walk them: a search,
 * a tag, a segment, in one of four orders, by keyset pages that stay fast at 1M contacts.
 *
 * - The search is "contains", case-insensitive, over name, phone, tags and attribute values:
 *   one trigram index (contacts_search, over contact_search_text()) answers it.
 * - Each order has its keyset index; the cursor keeps Postgres' own text of the sort key (a
 *   timestamp's microseconds, which a JS Date drops).
 * - A segment is a json-logic rule evaluated in JS, as broadcasts do (engine/broadcasts/segment.ts):
 *   rows are read in keyset batches and matched here. A page stops after `scanBudget` rows read
 *   even if it is not full, so a rare segment costs each request a bounded read; its cursor then
 *   continues the walk where it stopped.
 */

export const CONTACT_SORTS = ['newest', 'oldest', 'name', 'last_seen'] as const;
export type ContactSort = (typeof CONTACT_SORTS)[number];

interface SortSpec {
  /** The sort key's expression (matching its index). */
  key: string;
  /** The type the cursor's text is cast back to. */
  type: 'timestamptz' | 'text';
  desc: boolean;
}

const SORTS: Record<ContactSort, SortSpec> = {
  newest: { key: 'created_at', type: 'timestamptz', desc: true },
  oldest: { key: 'created_at', type: 'timestamptz', desc: false },
  // Named contacts first, A to Z; unnamed after (see contacts_workspace_name).
  name: { key: `coalesce('0' || lower(name), '1')`, type: 'text', desc: false },
  // The last message from the contact, most recent first; never seen last.
  last_seen: { key: `coalesce(last_seen_at, '-infinity')`, type: 'timestamptz', desc: true },
};

export interface ContactFilter {
  /** Contained, case-insensitively, in the name, phone, a tag or an attribute value. */
  q?: string | null;
  tag?: string | null;
  /** Exact E.164 phone. */
  phone?: string | null;
  /** A json-logic segment rule over `contact` (validated before any read). */
  segment?: unknown;
}

/**
 * A contact of a page: its stored columns, and the computed columns a segment reads (selected
 * only when the page's rule reads them, as a segment scan does).
 */
const ContactListRow = SegmentContactColumns.extend(SegmentComputedColumns.shape).extend({
  createdAt: z.date(),
  legalHold: z.boolean(),
  sortKey: z.string(),
});
export type ContactListRow = z.infer<typeof ContactListRow>;

/** Whether a page's row belongs to the segment (a computed column the rule does not read is absent). */
function inSegment(segment: CompiledSegment, row: ContactListRow): boolean {
  return segment.matches({
    ...row,
    daysSinceLastMessage: row.daysSinceLastMessage ?? null,
    optIn: row.optIn ?? 'unknown',
    channels: row.channels ?? [],
  });
}

/** Rows read per statement when a segment filters in JS. */
export const SEGMENT_PAGE_BATCH_ROWS = 500;
/** Most rows one page request reads for a segment before it answers with what it found. */
export const SEGMENT_PAGE_SCAN_BUDGET = 20_000;

const COLUMNS = `id, name, phone, tags, attributes, opted_out_at as "optedOutAt", restricted_at as "restrictedAt", erased_at as "erasedAt",
  created_at as "createdAt", last_seen_at as "lastSeenAt", legal_hold as "legalHold"`;

/** What a person types, as the search text holds it: lower-case; a phone without its separators. */
export function searchNeedle(q: string): string {
  const trimmed = q.trim().toLowerCase();
  const phoneLike = /^[+\d\s().-]+$/.test(trimmed) && /\d/.test(trimmed);
  const text = phoneLike ? trimmed.replace(/[\s().-]/g, '') : trimmed;
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** The statement of one keyset page; its text depends only on which filters are set, the order and the computed columns the segment reads. */
function pageStatement(filter: ContactFilter, sort: ContactSort, after: boolean, segment: CompiledSegment | null): string {
  const s = SORTS[sort];
  const where = ['workspace_id = :workspaceId', 'not is_test', 'erased_at is null'];
  if (filter.q) where.push(`contact_search_text(name, phone, tags, attributes) like :pattern`);
  if (filter.tag) where.push('tags @> array[cast(:tag as text)]');
  if (filter.phone) where.push('phone = :phone');
  if (after) where.push(`(${s.key}, id) ${s.desc ? '<' : '>'} (cast(:cursorAt as ${s.type}), cast(:cursorId as uuid))`);
  const dir = s.desc ? 'desc' : 'asc';
  const computed = segment ? computedColumnsFor(segment.fieldsRead).map((c) => `, ${c}`) : [];
  return `select ${COLUMNS}${computed.join('')}, cast(${s.key} as text) as "sortKey" from contacts where ${where.join(' and ')} order by ${s.key} ${dir}, id ${dir} limit :limit`;
}

export interface KeysetCursor {
  at: string;
  id: string;
}

async function readPage(
  em: EntityManager,
  workspaceId: string,
  filter: ContactFilter,
  sort: ContactSort,
  cursor: KeysetCursor | null,
  limit: number,
  segment: CompiledSegment | null,
): Promise<ContactListRow[]> {
  const bindings: Record<string, unknown> = { workspaceId, limit };
  if (filter.q) bindings.pattern = `%${searchNeedle(filter.q)}%`;
  if (filter.tag) bindings.tag = filter.tag;
  if (filter.phone) bindings.phone = filter.phone;
  if (cursor) Object.assign(bindings, { cursorAt: cursor.at, cursorId: cursor.id });
  // Planned at each call: whether the trigram index or the order's index is best depends on the needle.
  const { rows } = await runSql(em, pageStatement(filter, sort, cursor !== null, segment), bindings, {
    row: ContactListRow,
    planEachCall: Boolean(filter.q),
  });
  return rows;
}

/**
 * One page of contacts: up to `limit` rows, and the cursor of the next page (null at the end).
 * With a segment, a page may hold fewer than `limit` rows and still have a next page.
 */
export async function listContacts(
  em: EntityManager,
  p: { workspaceId: string; filter: ContactFilter; sort: ContactSort; cursor: KeysetCursor | null; limit: number; scanBudget?: number },
): Promise<{ items: ContactListRow[]; nextCursor: KeysetCursor | null }> {
  const segment = p.filter.segment === undefined || p.filter.segment === null ? null : compileSegment(p.filter.segment);
  if (!segment) {
    const rows = await readPage(em, p.workspaceId, p.filter, p.sort, p.cursor, p.limit + 1, null);
    const items = rows.slice(0, p.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > p.limit && last ? { at: last.sortKey, id: last.id } : null };
  }
  const budget = p.scanBudget ?? SEGMENT_PAGE_SCAN_BUDGET;
  const items: ContactListRow[] = [];
  let cursor = p.cursor;
  let scanned = 0;
  for (;;) {
    const rows = await readPage(em, p.workspaceId, p.filter, p.sort, cursor, SEGMENT_PAGE_BATCH_ROWS, segment);
    for (const row of rows) {
      scanned += 1;
      cursor = { at: row.sortKey, id: row.id };
      if (!inSegment(segment, row)) continue;
      items.push(row);
      // Full: the next page starts after this row (a next page may turn out empty).
      if (items.length === p.limit) return { items, nextCursor: cursor };
    }
    if (rows.length < SEGMENT_PAGE_BATCH_ROWS) return { items, nextCursor: null };
    if (scanned >= budget) return { items, nextCursor: cursor };
  }
}

/** Every contact of the filter, in batches (the export and bulk tagging), in the given order. */
export async function* eachContactBatch(
  em: EntityManager,
  p: { workspaceId: string; filter: ContactFilter; sort?: ContactSort; batchRows?: number },
): AsyncGenerator<ContactListRow[]> {
  const segment = p.filter.segment === undefined || p.filter.segment === null ? null : compileSegment(p.filter.segment);
  const sort = p.sort ?? 'oldest';
  const size = p.batchRows ?? 1_000;
  let cursor: KeysetCursor | null = null;
  for (;;) {
    const rows = await readPage(em, p.workspaceId, p.filter, sort, cursor, size, segment);
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    cursor = { at: last.sortKey, id: last.id };
    const hits = segment ? rows.filter((r) => inSegment(segment, r)) : rows;
    if (hits.length > 0) yield hits;
    if (rows.length < size) return;
  }
}

const AttributeNameRow = z.object({ name: z.string() });

/** Attribute names used by the filter's contacts (without the segment), A to Z: the export's columns. */
export async function attributeNamesOf(em: EntityManager, workspaceId: string, filter: ContactFilter, max: number): Promise<string[]> {
  const where = ['workspace_id = :workspaceId', 'not is_test', 'erased_at is null'];
  const bindings: Record<string, unknown> = { workspaceId, max };
  if (filter.q) {
    where.push(`contact_search_text(name, phone, tags, attributes) like :pattern`);
    bindings.pattern = `%${searchNeedle(filter.q)}%`;
  }
  if (filter.tag) {
    where.push('tags @> array[cast(:tag as text)]');
    bindings.tag = filter.tag;
  }
  const { rows } = await runSql(
    em,
    `select distinct k as name from contacts, jsonb_object_keys(attributes) as k where ${where.join(' and ')} order by k limit :max`,
    bindings,
    { row: AttributeNameRow, planEachCall: true },
  );
  return rows.map((r) => r.name);
}
