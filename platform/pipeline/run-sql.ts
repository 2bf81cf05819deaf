import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/** The rows a statement returned and how many rows it changed. */
export interface SqlResult<Row> {
  rows: Row[];
  rowCount: number;
}

/**
 * Runs one SQL statement with named `:bindings` on `em`'s connection, inside `em`'s transaction
 * when it has one.
 *
 * Why not `em.execute`: MikroORM formats the parameters into the SQL text on the client. Here
 * they travel separately to Postgres (server-side binding): less work per call on the hot
 * paths, and JSON or text from outside never becomes part of a statement. Binding names must
 * not collide with type names used in `::type` casts (knex reads `:name` as a binding); the
 * statements here write `cast(:x as type)` for bound values.
 */
export async function runSql<Row = Record<string, unknown>>(em: EntityManager, sql: string, bindings: Record<string, unknown> = {}): Promise<SqlResult<Row>> {
  const query = em.getKnex().raw(sql, bindings as Knex.ValueDict);
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (trx) query.transacting(trx);
  const res = (await query) as { rows: Row[]; rowCount: number | null };
  return { rows: res.rows, rowCount: res.rowCount ?? 0 };
}
