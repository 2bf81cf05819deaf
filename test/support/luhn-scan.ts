import type { EntityManager } from '@mikro-orm/postgresql';
import { testSql } from './test-sql.ts';

/** True when the digits pass the Luhn check (as every card number does). */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * 13 to 19 digits written together, or in groups of four separated by the same space or dash
 * (as cards are written: 4242 4242 4242 4242). Not inside a longer word of letters, digits or
 * dashes (a UUID's groups are hex between dashes).
 */
const CANDIDATE = /(?<![0-9A-Za-z-])(?:[0-9]{13,19}|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,7})(?![0-9A-Za-z])/g;
/** The migration tool's own table: its rows are migration file names, which start with a 14-digit timestamp. */
const NOT_DATA = new Set(['mikro_orm_migrations']);

export interface LuhnHit {
  table: string;
  column: string;
  value: string;
}

/**
 * Scans every column of every table of the public schema (from information_schema, so a table
 * added later is scanned too), each value as text, for a card-number-like sequence that passes
 * the Luhn check.
 */
export async function findLuhnNumbers(em: EntityManager): Promise<LuhnHit[]> {
  const { rows: columns } = await testSql<{ table: string; column: string }>(
    em,
    `select c.table_name as "table", c.column_name as "column" from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = 'public' and t.table_type = 'BASE TABLE' order by 1, 2`,
  );
  const hits: LuhnHit[] = [];
  for (const { table, column } of columns) {
    if (NOT_DATA.has(table)) continue;
    const rows = await em
      .getConnection()
      .execute<{ v: string }[]>(
        `select "${column}"::text as v from "${table}" where "${column}"::text ~ '[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]'`,
      );
    for (const { v } of rows) {
      for (const match of v.matchAll(CANDIDATE)) {
        const digits = match[0].replace(/[ -]/g, '');
        if (passesLuhn(digits)) hits.push({ table, column, value: match[0] });
      }
    }
  }
  return hits;
}
