import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql, type RunSqlOptions, type SqlResult } from '../../platform/pipeline/run-sql.ts';

/**
 * runSql for tests and benchmarks, whose rows are typed by the reader's word: a test's statements
 * set up and inspect tables, and its assertions check the values. Product code gives runSql a row
 * schema instead (`{ row: schema }`), which checks every row.
 */
export async function testSql<Row = Record<string, unknown>>(
  em: EntityManager,
  sql: string,
  bindings: Record<string, unknown> = {},
  opts: RunSqlOptions = {},
): Promise<SqlResult<Row>> {
  const { rows, rowCount } = await runSql(em, sql, bindings, opts);
  return { rows: rows as Row[], rowCount };
}
