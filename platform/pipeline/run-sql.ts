import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/** The rows a statement returned and how many rows it changed. */
export interface SqlResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** The part of a node-postgres client runSql uses. */
interface PgConnection {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
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

/**
 * Runs one SQL statement with named `:bindings` on `em`'s connection, inside `em`'s transaction
 * when it has one.
 *
 * Why not `em.execute` or knex's `raw`: the statements of the hot paths (inbound store, drain,
 * send claim) are large CTEs whose parse and plan cost PostgreSQL more than running them. Here
 * each distinct statement is a named prepared statement: parsed and planned once per
 * connection, then only bound and executed. The parameters travel separately (server-side
 * binding), so JSON or text from outside never becomes part of a statement. Binding names must
 * not collide with type names used in `::type` casts; the statements here write
 * `cast(:x as type)` for bound values.
 */
export async function runSql<Row = Record<string, unknown>>(
  em: EntityManager,
  sql: string,
  bindings: Record<string, unknown> = {},
  opts: RunSqlOptions = {},
): Promise<SqlResult<Row>> {
  const statement = compile(sql, bindings);
  // A transaction's knex client hands out the transaction's own connection.
  const client = (em.getTransactionContext<Knex.Transaction>() ?? em.getKnex()).client as unknown as {
    acquireConnection(): Promise<PgConnection>;
    releaseConnection(connection: PgConnection): Promise<unknown>;
  };
  const connection = await client.acquireConnection();
  try {
    const values = statement.names.map((n) => bindings[n]);
    const res = await connection.query(
      opts.planEachCall || !namedStatements ? { text: statement.text, values } : { name: statement.name, text: statement.text, values },
    );
    return { rows: res.rows as Row[], rowCount: res.rowCount ?? 0 };
  } finally {
    await client.releaseConnection(connection);
  }
}
