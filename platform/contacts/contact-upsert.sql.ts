import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { ImportedContact } from '../../engine/contacts/contact-import.ts';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** What happened to a batch's rows. */
export interface UpsertCounts {
  created: number;
  updated: number;
  skipped: number;
}

/** A contact as the batch writes it: the merge of every row of the batch with its phone. */
interface MergedRow extends ImportedContact {
  id: string;
}

/**
 * Rows of one batch with the same phone become one (a statement may not touch a row twice): with
 * `update` the later rows merge into the first (name replaced, attributes and tags added); with
 * `skip` the later rows are skipped. Returns the merged rows and how many rows were folded.
 */
function mergeByPhone(rows: ImportedContact[], mode: 'update' | 'skip'): { merged: MergedRow[]; folded: number } {
  const byPhone = new Map<string, MergedRow>();
  let folded = 0;
  for (const row of rows) {
    const seen = byPhone.get(row.phone);
    if (!seen) {
      // A literal rather than a spread: one object per row of a 1M-row import. The tags are
      // copied because a later row of the phone adds to them.
      byPhone.set(row.phone, { id: newId(), phone: row.phone, name: row.name, attributes: row.attributes, tags: [...row.tags] });
      continue;
    }
    folded += 1;
    if (mode === 'skip') continue;
    if (row.name !== null) seen.name = row.name;
    Object.assign(seen.attributes, row.attributes);
    for (const tag of row.tags) if (!seen.tags.includes(tag)) seen.tags.push(tag);
  }
  return { merged: [...byPhone.values()], folded };
}

/*
 * One statement per batch, set-based. A new phone is inserted; an existing one (the unique
 * index contacts_workspace_phone) is updated in place (`update`: the name when the row has one,
 * attributes merged key by key, tags added in their order) or left alone (`skip`). Consent is
 * never touched: an import does not clear an opt-out or a restriction. `xmax = 0` tells a row
 * this statement inserted from one it updated.
 */
const UPSERT_UPDATE = `insert into contacts (id, workspace_id, phone, name, attributes, tags, created_at, updated_at)
  select r.id, :workspaceId, r.phone, r.name, r.attributes, r.tags, :now, :now
    from jsonb_to_recordset(cast(:rows as jsonb)) as r(id uuid, phone text, name text, attributes jsonb, tags text[])
  on conflict (workspace_id, phone) where phone is not null do update set
    name = coalesce(excluded.name, contacts.name),
    attributes = contacts.attributes || excluded.attributes,
    tags = case when excluded.tags <@ contacts.tags then contacts.tags
                else contacts.tags || array(select t from unnest(excluded.tags) as t where not t = any(contacts.tags)) end,
    updated_at = excluded.updated_at
  returning (xmax = 0) as inserted`;

/** The statement's rows counted in PostgreSQL: one row back rather than one per contact. */
const CreatedCountRow = z.object({ created: z.number() });
function countInserted(upsert: string): string {
  return `with written as (${upsert}) select count(*) filter (where inserted) as created from written`;
}

const UPSERT_SKIP = `insert into contacts (id, workspace_id, phone, name, attributes, tags, created_at, updated_at)
  select r.id, :workspaceId, r.phone, r.name, r.attributes, r.tags, :now, :now
    from jsonb_to_recordset(cast(:rows as jsonb)) as r(id uuid, phone text, name text, attributes jsonb, tags text[])
  on conflict (workspace_id, phone) where phone is not null do nothing
  returning true as inserted`;

/** Writes a batch of imported rows in one statement; run inside the batch's transaction. */
export async function upsertContacts(
  em: EntityManager,
  p: { workspaceId: string; rows: ImportedContact[]; mode: 'update' | 'skip'; now: Date },
): Promise<UpsertCounts> {
  if (p.rows.length === 0) return { created: 0, updated: 0, skipped: 0 };
  const { merged, folded } = mergeByPhone(p.rows, p.mode);
  const { rows } = await runSql(
    em,
    countInserted(p.mode === 'update' ? UPSERT_UPDATE : UPSERT_SKIP),
    { workspaceId: p.workspaceId, now: p.now, rows: JSON.stringify(merged) },
    { row: CreatedCountRow, planEachCall: true },
  );
  const { created } = rows[0]!;
  if (p.mode === 'update') return { created, updated: merged.length - created + folded, skipped: 0 };
  return { created, updated: 0, skipped: merged.length - created + folded };
}

const PhoneRow = z.object({ phone: z.string() });

/**
 * What a batch would do, without writing: each row's phone looked up among the workspace's
 * contacts and among the phones of the file read before (`seen`, which this adds to).
 */
export async function countWouldUpsert(
  em: EntityManager,
  p: { workspaceId: string; rows: ImportedContact[]; mode: 'update' | 'skip'; seen: Set<string> },
): Promise<UpsertCounts> {
  if (p.rows.length === 0) return { created: 0, updated: 0, skipped: 0 };
  const phones = [...new Set(p.rows.map((r) => r.phone))];
  const { rows } = await runSql(
    em,
    `select phone from contacts where workspace_id = :workspaceId and phone = any(cast(:phones as text[]))`,
    { workspaceId: p.workspaceId, phones },
    { row: PhoneRow },
  );
  const existing = new Set(rows.map((r) => r.phone));
  let created = 0;
  let again = 0;
  for (const row of p.rows) {
    if (existing.has(row.phone) || p.seen.has(row.phone)) again += 1;
    else created += 1;
    p.seen.add(row.phone);
  }
  return p.mode === 'update' ? { created, updated: again, skipped: 0 } : { created, updated: 0, skipped: again };
}
