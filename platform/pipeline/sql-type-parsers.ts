import pg from 'pg';

/*
 * How runSql turns PostgreSQL's text values into JavaScript, set once here for every statement it
 * runs (passed per query: the ORM's own connection settings, which keep timestamps as text for its
 * hydration, stay as they are). A row type given to runSql can therefore say `Date` and `number`
 * and be true:
 *
 * - timestamptz, timestamp → Date. A `timestamp` without a time zone is read as UTC, as the ORM
 *   does (`forceUtcTimezone`); a value that must keep microseconds (a keyset cursor) is selected
 *   as text (`cast(x as text)`).
 * - int8 (count(*), bigint columns), numeric (sum(), round()) → number. An int8 beyond
 *   Number.MAX_SAFE_INTEGER fails the statement instead of losing digits; none of our bigint
 *   columns (fence tokens, amounts in cents, byte sizes, sequence numbers) comes near it.
 * - date and interval stay text ('2026-12-06', '01:00:00'): a calendar day is not an instant.
 * - json and jsonb are parsed (node-postgres's default), as are int4, float and bool.
 */

const OID = {
  textArray: 1009,
  int8: 20,
  int8Array: 1016,
  numeric: 1700,
  numericArray: 1231,
  date: 1082,
  dateArray: 1182,
  timestamp: 1114,
  timestampArray: 1115,
  timestamptz: 1184,
  timestamptzArray: 1185,
  interval: 1186,
  intervalArray: 1187,
} as const;

const parseTimestamptz = pg.types.getTypeParser(OID.timestamptz, 'text') as (text: string) => Date;

/** Reads a `timestamp without time zone` as UTC. */
function parseUtcTimestamp(text: string): Date {
  return parseTimestamptz(text === 'infinity' || text === '-infinity' ? text : `${text}Z`);
}

function parseSafeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} does not fit a JavaScript number`);
  return n;
}

/** node-postgres's parser of text[] (its typings name only the scalar types' oids). */
const parseTextArray = (pg.types.getTypeParser as (oid: number, format: 'text') => (text: string) => (string | null)[])(
  OID.textArray,
  'text',
);

const arrayOf =
  <T>(parse: (text: string) => T) =>
  (text: string): (T | null)[] =>
    parseTextArray(text).map((item) => (item === null ? null : parse(item)));

const asText = (text: string): string => text;

/** The type parsers of every runSql statement (node-postgres's `types` query option). */
export const sqlTypeParsers = new pg.TypeOverrides();
sqlTypeParsers.setTypeParser(OID.int8, parseSafeInteger);
sqlTypeParsers.setTypeParser(OID.int8Array, arrayOf(parseSafeInteger));
sqlTypeParsers.setTypeParser(OID.numeric, Number);
sqlTypeParsers.setTypeParser(OID.numericArray, arrayOf(Number));
sqlTypeParsers.setTypeParser(OID.timestamptz, parseTimestamptz);
sqlTypeParsers.setTypeParser(OID.timestamptzArray, arrayOf(parseTimestamptz));
sqlTypeParsers.setTypeParser(OID.timestamp, parseUtcTimestamp);
sqlTypeParsers.setTypeParser(OID.timestampArray, arrayOf(parseUtcTimestamp));
sqlTypeParsers.setTypeParser(OID.date, asText);
sqlTypeParsers.setTypeParser(OID.dateArray, arrayOf(asText));
sqlTypeParsers.setTypeParser(OID.interval, asText);
sqlTypeParsers.setTypeParser(OID.intervalArray, arrayOf(asText));
