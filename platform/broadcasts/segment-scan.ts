import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { compileSegment, SEGMENT_OPT_IN_STATES, type ContactField, type SegmentOptIn } from '../../engine/broadcasts/segment.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** A contact as a segment scan reads it: what the rule sees, and what decides whether it may be messaged. */
export interface SegmentContact {
  id: string;
  name: string | null;
  phone: string | null;
  tags: string[];
  attributes: Record<string, unknown>;
  optedOutAt: Date | null;
  restrictedAt: Date | null;
  erasedAt: Date | null;
  createdAt: Date;
  lastSeenAt: Date | null;
  /** Computed only when the rule reads it (see COMPUTED_COLUMNS); null otherwise. */
  daysSinceLastMessage: number | null;
  /** Computed only when the rule reads it; `unknown` otherwise. */
  optIn: SegmentOptIn;
  /** Computed only when the rule reads it; empty otherwise. */
  channels: string[];
}

/**
 * Contacts read per batch. Alone, 2,000 scanned 100,000 contacts fastest (about 0.4-0.5 s; 1,000
 * cost more round trips, 5,000 and 10,000 more buffering). But a broadcast snapshot scans in the
 * process that answers conversations, and a batch's matches are inserted in one statement: with
 * 2,000, auto-replies arriving during a 50,000-recipient snapshot waited up to 340 ms (p95); with
 * 500, 52-90 ms in most runs, and the snapshot took as long (`npm run bench -- broadcast`).
 */
export const SEGMENT_SCAN_BATCH_ROWS = 500;

/** The stored columns of a contact that a segment reads (this scan and the contacts page select them). */
export const SegmentContactColumns = z.object({
  id: z.string(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  tags: z.array(z.string()),
  attributes: z.record(z.string(), z.unknown()),
  optedOutAt: z.date().nullable(),
  restrictedAt: z.date().nullable(),
  erasedAt: z.date().nullable(),
  lastSeenAt: z.date().nullable(),
});

/** The computed columns (`COMPUTED_COLUMNS`), each selected only when the rule reads it. */
export const SegmentComputedColumns = z.object({
  daysSinceLastMessage: z.number().nullable().optional(),
  optIn: z.enum(SEGMENT_OPT_IN_STATES).optional(),
  channels: z.array(z.string()).optional(),
});

const ScanRow = SegmentContactColumns.extend(SegmentComputedColumns.shape).extend({
  /** Postgres' own text of created_at: the keyset needs its microseconds, which a JS Date drops. */
  createdAtText: z.string(),
});
type ScanRow = z.infer<typeof ScanRow>;

const COLUMNS = `id, name, phone, tags, attributes, opted_out_at as "optedOutAt", restricted_at as "restrictedAt",
  erased_at as "erasedAt", last_seen_at as "lastSeenAt", cast(created_at as text) as "createdAtText"`;

/**
 * Facts a segment may read that are computed rather than stored, each read only when the rule
 * reads it (a tag rule over 100,000 contacts pays for none of them). `now()` is the scan
 * transaction's start, so every contact's day count is taken at the same instant. The channel
 * list and the opt-in are index lookups: contact_identities (contact_id, channel_id) and
 * consent_events (contact_id, created_at).
 */
const COMPUTED_COLUMNS: Partial<Record<ContactField, string>> = {
  daysSinceLastMessage: `cast(floor(extract(epoch from (now() - last_seen_at)) / 86400) as integer) as "daysSinceLastMessage"`,
  optIn: `case when opted_out_at is not null then 'opted_out'
    when exists (select 1 from consent_events ce where ce.contact_id = contacts.id and ce.action = 'opt_in') then 'opted_in'
    else 'unknown' end as "optIn"`,
  channels: `array(select distinct cast(ci.channel_id as text) from contact_identities ci where ci.contact_id = contacts.id) as "channels"`,
};

/** The computed columns a rule reads, for a statement over `contacts`. */
export function computedColumnsFor(fieldsRead: ReadonlySet<ContactField>): string[] {
  return Object.entries(COMPUTED_COLUMNS)
    .filter(([field]) => fieldsRead.has(field as ContactField))
    .map(([, sql]) => sql);
}

function columnsFor(fieldsRead: ReadonlySet<ContactField>): string {
  return [COLUMNS, ...computedColumnsFor(fieldsRead)].join(',\n  ');
}

function toSegmentContact(row: ScanRow): SegmentContact {
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    tags: row.tags,
    attributes: row.attributes,
    optedOutAt: row.optedOutAt,
    restrictedAt: row.restrictedAt,
    erasedAt: row.erasedAt,
    createdAt: new Date(row.createdAtText),
    lastSeenAt: row.lastSeenAt,
    daysSinceLastMessage: row.daysSinceLastMessage ?? null,
    optIn: row.optIn ?? 'unknown',
    channels: row.channels ?? [],
  };
}

/*
 * Two statements rather than one with `(:cursor is null or ...)`: each is a prepared statement,
 * and a generic plan of the `or` form could not use the row comparison as the index's start.
 */
const firstBatch = (columns: string) => `select ${columns} from contacts
  where workspace_id = :workspaceId and not is_test
  order by created_at, id limit :limit`;
const nextBatch = (columns: string) => `select ${columns} from contacts
  where workspace_id = :workspaceId and not is_test and (created_at, id) > (cast(:cursorAt as timestamptz), cast(:cursorId as uuid))
  order by created_at, id limit :limit`;

/**
 * Walks the workspace's contacts in keyset batches (created_at, id), evaluates the rule in JS, and
 * hands each batch's matches to onBatch (awaited before the next batch is read).
 *
 * Matches arrive oldest first, each exactly once. The rule is validated before the first read
 * (`SegmentInvalidError` with every problem). Opted-out, restricted and erased contacts are
 * matched like any other: the caller decides what to do with them. For one consistent snapshot
 * of the contacts, run it in a REPEATABLE READ transaction of `em` (runSql uses it); otherwise
 * each batch reads the contacts as they are then, and a contact created or changed during the
 * scan may or may not be matched.
 */
export async function scanSegment(
  em: EntityManager,
  params: { workspaceId: string; rule: unknown; batchRows?: number },
  onBatch: (matched: SegmentContact[]) => Promise<void> | void,
): Promise<{ scanned: number; matched: number }> {
  const segment = compileSegment(params.rule);
  const columns = columnsFor(segment.fieldsRead);
  const [FIRST_BATCH, NEXT_BATCH] = [firstBatch(columns), nextBatch(columns)];
  const limit = params.batchRows ?? SEGMENT_SCAN_BATCH_ROWS;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`batchRows must be a positive integer, not ${limit}`);
  let scanned = 0;
  let matched = 0;
  let last: ScanRow | undefined;
  for (;;) {
    const { rows } = last
      ? await runSql(
          em,
          NEXT_BATCH,
          { workspaceId: params.workspaceId, cursorAt: last.createdAtText, cursorId: last.id, limit },
          { row: ScanRow },
        )
      : await runSql(em, FIRST_BATCH, { workspaceId: params.workspaceId, limit }, { row: ScanRow });
    if (rows.length === 0) break;
    scanned += rows.length;
    const hits: SegmentContact[] = [];
    for (const row of rows) {
      const contact = toSegmentContact(row);
      if (segment.matches(contact)) hits.push(contact);
    }
    matched += hits.length;
    if (hits.length > 0) await onBatch(hits);
    if (rows.length < limit) break;
    last = rows[rows.length - 1];
  }
  return { scanned, matched };
}
