import { z } from 'zod';
import {
  ATTRIBUTE_NAME_PATTERN,
  AttributeNameSchema,
  MAX_ATTRIBUTE_VALUE_CHARS,
  MAX_ATTRIBUTES,
  MAX_NAME_CHARS,
  MAX_TAG_CHARS,
  MAX_TAGS,
  TAG_LIST_SEPARATOR,
  TAG_PATTERN,
  TagSchema,
} from './contact-fields.ts';
import { toE164 } from './phone.ts';

/*
 * A CSV import of contacts, as the core sees it: the options a marketer chooses, the columns
 * guessed from a header, and one CSV row turned into a contact or into a problem in words.
 * Reading the file, batching and writing live in platform/contacts/contact-import.runner.ts.
 */

/** Most data rows one import may hold (the header not counted). */
export const MAX_IMPORT_ROWS = 1_000_000;
/** Longest header cell we accept as a column name. */
const MAX_COLUMN_CHARS = 200;

const ColumnName = z.string().trim().min(1).max(MAX_COLUMN_CHARS);

/** Which column of the file holds what. Columns not named here are not imported. */
export const ImportColumnsSchema = z.strictObject({
  phone: ColumnName,
  name: ColumnName.nullable().default(null),
  /** Columns whose cells list tags, separated by commas or semicolons. */
  tags: z.array(ColumnName).max(20).default([]),
  attributes: z
    .array(z.strictObject({ column: ColumnName, attribute: AttributeNameSchema }))
    .max(MAX_ATTRIBUTES)
    .default([]),
});
export type ImportColumns = z.output<typeof ImportColumnsSchema>;

export const ImportOptionsSchema = z.strictObject({
  /** Absent: guessed from the header (`guessColumns`). */
  columns: ImportColumnsSchema.optional(),
  /** ISO 3166 country ("BR") in which numbers written without a country code are read. */
  defaultCountry: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'a two-letter country code such as BR or US')
    .transform((c) => c.toUpperCase())
    .nullable()
    .default(null),
  /** A row whose phone is already a contact's: `update` merges the row into it, `skip` leaves it as it is. */
  onExisting: z.enum(['update', 'skip']).default('skip'),
  /** Check every row and count what would happen, without writing any contact. */
  dryRun: z.boolean().default(false),
  /** Tags given to every contact of the file (created or updated). */
  addTags: z.array(TagSchema).max(10).default([]),
});
export type ImportOptionsInput = z.input<typeof ImportOptionsSchema>;
export type ImportOptions = z.output<typeof ImportOptionsSchema>;

const PHONE_HEADERS = [
  'phone',
  'phone number',
  'mobile',
  'mobile number',
  'cell',
  'whatsapp',
  'telephone',
  'tel',
  'number',
  'msisdn',
  'telefone',
  'celular',
  'teléfono',
];
const NAME_HEADERS = ['name', 'full name', 'contact name', 'nome', 'nombre'];
const TAG_HEADERS = ['tags', 'tag', 'labels', 'label'];
/** Columns of our own export that are not attributes (consent and dates are never imported). */
const EXPORT_ONLY_HEADERS = ['opted out', 'added', 'last message'];

function normalHeader(h: string): string {
  return h.trim().toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ');
}

/** The attribute a header becomes ("Favourite colour" → favourite_colour), or null when nothing usable is left. */
export function attributeNameOf(header: string): string | null {
  const name = header
    .trim()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  if (!name) return null;
  const safe = /^[0-9]/.test(name) ? `_${name}`.slice(0, 64) : name;
  return ATTRIBUTE_NAME_PATTERN.test(safe) ? safe : null;
}

/**
 * Columns read from a header as a person names them: the phone ("Phone", "Mobile", "WhatsApp"),
 * the name, tags, and every other column as an attribute. Null when no column looks like a phone.
 */
export function guessColumns(header: readonly string[]): ImportColumns | null {
  const find = (names: string[]) => header.find((h) => names.includes(normalHeader(h))) ?? null;
  const phone = find(PHONE_HEADERS);
  if (phone === null) return null;
  const name = find(NAME_HEADERS);
  const tags = header.filter((h) => TAG_HEADERS.includes(normalHeader(h)));
  const taken = new Set<string>();
  const attributes: ImportColumns['attributes'] = [];
  for (const column of header) {
    if (column === phone || column === name || tags.includes(column) || EXPORT_ONLY_HEADERS.includes(normalHeader(column))) continue;
    const attribute = attributeNameOf(column);
    if (attribute === null || taken.has(attribute) || attributes.length >= MAX_ATTRIBUTES) continue;
    taken.add(attribute);
    attributes.push({ column, attribute });
  }
  return { phone, name, tags, attributes };
}

/** The columns an import reads, as positions in the header. */
export interface ColumnPlan {
  phone: number;
  name: number | null;
  tags: number[];
  attributes: { index: number; attribute: string }[];
  defaultCountry: string | null;
  addTags: string[];
}

/** Thrown when the chosen columns are not in the file's header. */
export class ImportColumnsError extends Error {
  override name = 'ImportColumnsError';
  constructor(readonly missing: string[]) {
    super(`the file has no column ${missing.map((m) => `“${m}”`).join(', ')}`);
  }
}

/**
 * Where each chosen column is in the header (the first of equal names); ImportColumnsError
 * naming the columns the file lacks. Guessed when the options name none (null: no phone column).
 */
export function planColumns(header: readonly string[], options: ImportOptions): ColumnPlan {
  const columns = options.columns ?? guessColumns(header);
  if (!columns) throw new ImportColumnsError(['Phone']);
  const trimmed = header.map((h) => h.trim());
  const missing: string[] = [];
  const at = (column: string) => {
    const i = trimmed.indexOf(column.trim());
    if (i < 0) missing.push(column);
    return i;
  };
  const plan: ColumnPlan = {
    phone: at(columns.phone),
    name: columns.name === null ? null : at(columns.name),
    tags: columns.tags.map(at),
    attributes: columns.attributes.map((a) => ({ index: at(a.column), attribute: a.attribute })),
    defaultCountry: options.defaultCountry,
    addTags: options.addTags,
  };
  if (missing.length > 0) throw new ImportColumnsError(missing);
  return plan;
}

/** A row ready to be written. */
export interface ImportedContact {
  phone: string;
  name: string | null;
  /** Only the cells that held a value: an empty cell never erases what a contact has. */
  attributes: Record<string, string>;
  tags: string[];
}

export type RowResult = { ok: true; contact: ImportedContact } | { ok: false; problem: string };

function quoted(value: string): string {
  return `“${value.length > 40 ? value.slice(0, 40) + '…' : value}”`;
}

/** One data row of the file: the contact it describes, or every problem of the row in words. */
export function readImportRow(cells: readonly string[], plan: ColumnPlan): RowResult {
  const problems: string[] = [];
  const rawPhone = (cells[plan.phone] ?? '').trim();
  let phone: string | null = null;
  if (!rawPhone) problems.push('no phone number');
  else {
    phone = toE164(rawPhone, plan.defaultCountry ?? undefined);
    if (phone === null) {
      problems.push(
        plan.defaultCountry
          ? `${quoted(rawPhone)} is not a phone number of ${plan.defaultCountry} or in international form (+country code)`
          : `${quoted(rawPhone)} is not a phone number in international form (+country code); choose a default country to read local numbers`,
      );
    }
  }
  let name: string | null = null;
  if (plan.name !== null) {
    name = (cells[plan.name] ?? '').trim() || null;
    if (name !== null && name.length > MAX_NAME_CHARS) problems.push(`the name is longer than ${MAX_NAME_CHARS} characters`);
  }
  const tags = new Set(plan.addTags);
  for (const index of plan.tags) {
    for (const raw of (cells[index] ?? '').split(TAG_LIST_SEPARATOR)) {
      const tag = raw.trim();
      if (!tag) continue;
      if (tag.length > MAX_TAG_CHARS || !TAG_PATTERN.test(tag))
        problems.push(`${quoted(tag)} cannot be a tag (letters, digits, space, _ : - only, up to ${MAX_TAG_CHARS})`);
      else tags.add(tag);
    }
  }
  if (tags.size > MAX_TAGS) problems.push(`more than ${MAX_TAGS} tags`);
  const attributes: Record<string, string> = {};
  for (const { index, attribute } of plan.attributes) {
    const value = (cells[index] ?? '').trim();
    if (!value) continue;
    if (value.length > MAX_ATTRIBUTE_VALUE_CHARS) problems.push(`${attribute} is longer than ${MAX_ATTRIBUTE_VALUE_CHARS} characters`);
    else attributes[attribute] = value;
  }
  if (problems.length > 0 || phone === null) return { ok: false, problem: problems.join('; ') };
  return { ok: true, contact: { phone, name, attributes, tags: [...tags] } };
}

/** The separator of a CSV from its header line: the most frequent of comma, semicolon and tab (comma on a tie). */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const count = (c: string) => headerLine.split(c).length - 1;
  const candidates = [',', ';', '\t'] as const;
  let best: ',' | ';' | '\t' = ',';
  for (const c of candidates) if (count(c) > count(best)) best = c;
  return best;
}
