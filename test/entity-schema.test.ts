import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * The ORM entities (platform/db/entities) describe tables the migrations create. Nothing else
 * ties the two together, so a migration that changes a column, or an entity property added
 * without its migration, would only fail at run time (or, worse, truncate or refuse data). This
 * compares every mapped property with the migrated column: it exists, it has the same type, and
 * it is nullable exactly when the property is; and every column that must be given on insert
 * (not null, no default) is mapped, or the ORM could not create a row.
 */

interface Column {
  table: string;
  column: string;
  dataType: string;
  udtName: string;
  maxLength: number | null;
  nullable: boolean;
  hasDefault: boolean;
}

/** A property's declared column type in information_schema's words (`varchar(255)` → `character varying(255)`). */
function declaredType(columnType: string): string {
  const t = columnType.toLowerCase().replace(/\s+/g, ' ').trim();
  const varchar = /^varchar\((\d+)\)$/.exec(t);
  if (varchar) return `character varying(${varchar[1]})`;
  const array = /^(\w+)\[\]$/.exec(t);
  if (array) return `${array[1] === 'int' ? 'int4' : array[1]}[]`;
  const aliases: Record<string, string> = {
    int: 'integer',
    int4: 'integer',
    int8: 'bigint',
    bool: 'boolean',
    real: 'real',
    float4: 'real',
    float8: 'double precision',
    timestamptz: 'timestamp with time zone',
  };
  return aliases[t.replace(/\(\d+\)$/, '')] ?? t.replace(/\(\d+\)$/, '');
}

/** A migrated column's type in the same words. */
function migratedType(c: Column): string {
  if (c.dataType === 'character varying') return c.maxLength === null ? 'character varying' : `character varying(${c.maxLength})`;
  if (c.dataType === 'ARRAY') return `${c.udtName.replace(/^_/, '')}[]`;
  if (c.dataType === 'USER-DEFINED') return c.udtName;
  return c.dataType;
}

let env: TestEnv;
let columns: Map<string, Column>;

beforeAll(async () => {
  env = await createTestEnv();
  const rows: {
    table_name: string;
    column_name: string;
    data_type: string;
    udt_name: string;
    character_maximum_length: number | null;
    is_nullable: string;
    column_default: string | null;
    is_identity: string;
  }[] = await env.orm.em
    .fork()
    .getConnection()
    .execute(
      `select table_name, column_name, data_type, udt_name, character_maximum_length, is_nullable, column_default, is_identity from information_schema.columns where table_schema = 'public'`,
    );
  columns = new Map(
    rows.map((r) => [
      `${r.table_name}.${r.column_name}`,
      {
        table: r.table_name,
        column: r.column_name,
        dataType: r.data_type,
        udtName: r.udt_name,
        maxLength: r.character_maximum_length,
        nullable: r.is_nullable === 'YES',
        hasDefault: r.column_default !== null || r.is_identity === 'YES',
      },
    ]),
  );
});

afterAll(async () => {
  await env?.cleanup();
});

function entities() {
  return Object.values(env.orm.getMetadata().getAll()).filter((meta) => meta.tableName && !meta.embeddable && !meta.abstract);
}

describe('the ORM entities against the migrated schema', () => {
  it('maps at least the core tables', () => {
    expect(entities().map((m) => m.tableName)).toEqual(
      expect.arrayContaining(['workspaces', 'users', 'memberships', 'channels', 'contacts', 'conversations', 'messages']),
    );
  });

  it('gives every mapped property a column of the same type and nullability', () => {
    const problems: string[] = [];
    for (const meta of entities()) {
      for (const prop of meta.props) {
        if (prop.persist === false || prop.formula || !prop.fieldNames?.length) continue;
        prop.fieldNames.forEach((field, i) => {
          const column = columns.get(`${meta.tableName}.${field}`);
          if (!column) {
            problems.push(`${meta.className}.${prop.name}: no column ${meta.tableName}.${field}`);
            return;
          }
          const declared = declaredType(prop.columnTypes?.[i] ?? '');
          if (declared !== migratedType(column))
            problems.push(`${meta.className}.${prop.name}: declared ${declared}, migrated ${migratedType(column)}`);
          const nullable = prop.nullable === true;
          if (nullable !== column.nullable)
            problems.push(
              `${meta.className}.${prop.name}: ${nullable ? 'nullable' : 'not nullable'} in the entity, ${column.nullable ? 'nullable' : 'not null'} in ${meta.tableName}`,
            );
        });
      }
    }
    expect(problems).toEqual([]);
  });

  it('maps every column a new row must be given (not null, no default)', () => {
    const problems: string[] = [];
    for (const meta of entities()) {
      const mapped = new Set(meta.props.flatMap((p) => p.fieldNames ?? []));
      for (const column of columns.values()) {
        if (column.table === meta.tableName && !column.nullable && !column.hasDefault && !mapped.has(column.column))
          problems.push(`${meta.tableName}.${column.column} is not null without a default, and ${meta.className} does not map it`);
      }
    }
    expect(problems).toEqual([]);
  });
});
