import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import { zodIssueLine } from '../../engine/errors/zod-issue-details.ts';
import { sqlTypeParsers } from './sql-type-parsers.ts';

/** The rows a statement returned and how many rows it changed. */
export interface SqlResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** A statement with `:name` bindings rewritten to `$n` placeholders, and its prepared-statement name. */
interface CompiledSql {
  name: string;
  text: string;
  names: string[];
}

/** Bounds the cache of compiled statements (they are a fixed set of literals in the code). */
const MAX_COMPILED_STATEMENTS = 2_000;
/*
 * By statement text, then by its binding names. Keyed by the text itself: the statements are
 * string constants, whose hash V8 computes once and keeps, so a look-up costs nothing per call
 * however long the statement (a key built per call, text + names, was hashed in full each time).
 */
const compiled = new Map<string, Map<string, CompiledSql>>();

/*
 * `:name` where `name` is a binding: the same rule as knex's raw named bindings (a `::type` cast
 * or a colon inside a name that is not bound stays as it is).
 */
const NAMED_BINDING = /(?<!:):(\w+)/g;

function compile(sql: string, bindings: Record<string, unknown>): CompiledSql {
  let bySql = compiled.get(sql);
  if (!bySql) {
    if (compiled.size >= MAX_COMPILED_STATEMENTS) compiled.clear();
    bySql = new Map();
    compiled.set(sql, bySql);
  }
  const key = Object.keys(bindings).sort().join(',');
  let found = bySql.get(key);
  if (!found) {
    const names: string[] = [];
    const text = sql.replace(NAMED_BINDING, (match, name: string) => {
      if (!Object.prototype.hasOwnProperty.call(bindings, name)) return match;
      // One placeholder per occurrence, as knex does: each gets the type its own context infers.
      return `$${names.push(name)}`;
    });
    found = { name: `om_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, names };
    bySql.set(key, found);
  }
  return found;
}

let namedStatements = true;

/**
 * Named prepared statements on or off for this process (`DATABASE_PREPARED_STATEMENTS`). Off:
 * every statement is sent unnamed (parsed and planned at each call), which a pooler in
 * transaction mode supports; a named statement prepared on one server connection is unknown on
 * the next.
 */
export function useNamedStatements(enabled: boolean): void {
  namedStatements = enabled;
}

export interface RunSqlOptions {
  /**
   * Plan the statement at each call, with its values (an unnamed statement), instead of reusing
   * the connection's plan. For a cheap-to-plan statement whose best plan depends on how many
   * rows it is given and on the table's size now: a prepared statement's generic plan, chosen
   * once per connection (while the table was small, on a new installation), is kept as the table
   * grows, until the next ANALYZE.
   */
  planEachCall?: boolean;
}

/** A zod schema of one row, as the driver parsed it (`sql-type-parsers.ts`). */
export type RowSchema = z.ZodType;

/** The commonest answer: one id per row (`select id …`, `returning id`). */
export const IdRow = z.object({ id: z.string() });

/** What a statement that reads rows is given: the schema each row is checked against and typed by. */
export interface RunSqlRowOptions<S extends RowSchema> extends RunSqlOptions {
  row: S;
}

/** node-postgres's query config, which knex passes on as it is (`.options()`). */
interface PgQueryOptions {
  name?: string;
  values: unknown[];
  types: typeof sqlTypeParsers;
}

/** What knex answers for a raw statement on PostgreSQL: node-postgres's result. */
interface PgResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/**
 * Runs one SQL statement with named `:bindings` on `em`'s connection, inside `em`'s transaction
 * when it has one.
 *
 * Why not `em.execute` or knex's bindings: the statements of the hot paths (inbound store, drain,
 * send claim) are large CTEs whose parse and plan cost PostgreSQL more than running them. Here
 * each distinct statement is a named prepared statement: parsed and planned once per
 * connection, then only bound and executed. The parameters travel separately (server-side
 * binding), so JSON or text from outside never becomes part of a statement. Binding names must
 * not collide with type names used in `::type` casts; the statements here write
 * `cast(:x as type)` for bound values.
 *
 * It goes through knex's public API (`raw(...).options(...)`, on the transaction's knex when
 * there is one, so that it runs on that transaction's connection); the options are
 * node-postgres's own query config: the statement's name, its values, and the type parsers.
 * knex is given no bindings, so it sends the text as it is (MikroORM's knex client leaves a
 * statement without bindings alone): a literal `?`, a jsonb operator, stays a `?`.
 */
export async function runSql(
  em: EntityManager,
  sql: string,
  bindings?: Record<string, unknown>,
  opts?: RunSqlOptions,
): Promise<SqlResult<Record<string, unknown>>>;
export async function runSql<S extends RowSchema>(
  em: EntityManager,
  sql: string,
  bindings: Record<string, unknown>,
  opts: RunSqlRowOptions<S>,
): Promise<SqlResult<z.output<S>>>;
export async function runSql(
  em: EntityManager,
  sql: string,
  bindings: Record<string, unknown> = {},
  opts: RunSqlOptions & { row?: RowSchema } = {},
): Promise<SqlResult<unknown>> {
  const statement = compile(sql, bindings);
  const knex = em.getTransactionContext<Knex.Transaction>() ?? em.getKnex();
  const query: PgQueryOptions = { values: statement.names.map((n) => bindings[n]), types: sqlTypeParsers };
  if (!opts.planEachCall && namedStatements) query.name = statement.name;
  const res = (await knex.raw(statement.text).options(query)) as PgResult;
  const rows = opts.row ? res.rows.map((row) => parseRow(opts.row!, row, statement)) : res.rows;
  return { rows, rowCount: res.rowCount ?? 0 };
}

/**
 * One row checked against its schema. A mismatch is a bug (the statement and its row type
 * disagree), so it throws an InvariantError that names the statement and the columns at fault.
 */
function parseRow(schema: RowSchema, row: Record<string, unknown>, statement: CompiledSql): unknown {
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  throw new InvariantError(`a row did not have the type its statement promises (${zodIssueLine(parsed.error)})`, {
    statement: statement.name,
    sql: statement.text.slice(0, 200),
  });
}
