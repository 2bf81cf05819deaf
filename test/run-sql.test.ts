import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvariantError } from '../engine/errors/invariant.error.ts';
import { runSql, useNamedStatements } from '../platform/pipeline/run-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
const Count = z.object({ n: z.number() });

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

describe('runSql', () => {
  describe('when a row has timestamps, int8 and numeric values', () => {
    it('answers them as Date and number, and calendar days and intervals as text', async () => {
      const { rows } = await runSql(
        env.orm.em.fork(),
        `select cast('2026-12-06 10:00:00.123456+00' as timestamptz) as at,
                cast('2026-12-06 10:00:00.5' as timestamp) as local,
                array[cast('2026-12-06 10:00:00+00' as timestamptz), null] as ats,
                count(*) as n,
                cast(9007199254740991 as bigint) as big,
                array[cast(1 as bigint), cast(2 as bigint)] as bigs,
                sum(x) as total,
                cast(:ratio as numeric) as ratio,
                cast('2026-12-06' as date) as day,
                interval '90 minutes' as span,
                jsonb_build_object('a', 1) as doc
           from generate_series(1, 3) as x`,
        { ratio: '0.25' },
      );
      expect(rows[0]).toEqual({
        at: new Date('2026-12-06T10:00:00.123Z'),
        local: new Date('2026-12-06T10:00:00.500Z'),
        ats: [new Date('2026-12-06T10:00:00Z'), null],
        n: 3,
        big: Number.MAX_SAFE_INTEGER,
        bigs: [1, 2],
        total: 6,
        ratio: 0.25,
        day: '2026-12-06',
        span: '01:30:00',
        doc: { a: 1 },
      });
    });

    it('fails the statement rather than lose the digits of an int8 beyond a safe integer', async () => {
      await expect(runSql(env.orm.em.fork(), `select cast(9007199254740993 as bigint) as big`)).rejects.toThrow(RangeError);
    });
  });

  it('checks each row against the given row schema, and names the statement and the column when one does not match', async () => {
    const Row = z.object({ id: z.number(), name: z.string().nullable(), at: z.date() });
    const { rows } = await runSql(
      env.orm.em.fork(),
      `select 1 as id, null as name, cast('2026-12-06T10:00:00Z' as timestamptz) as at
       union all select 2, 'b', cast('2026-12-07T10:00:00Z' as timestamptz)`,
      {},
      { row: Row },
    );
    expect(rows).toEqual([
      { id: 1, name: null, at: new Date('2026-12-06T10:00:00Z') },
      { id: 2, name: 'b', at: new Date('2026-12-07T10:00:00Z') },
    ]);
    const mismatch = runSql(env.orm.em.fork(), `select 'x' as id, null as name, now() as at`, {}, { row: Row });
    await expect(mismatch).rejects.toThrow(InvariantError);
    await expect(mismatch).rejects.toThrow(/\(id Invalid input: expected number, received string\)/);
    await expect(mismatch).rejects.toMatchObject({ subject: { statement: expect.stringMatching(/^om_/) } });
  });

  it('gives no row type without a row schema: the compiler refuses runSql<Row> (checked by npm run check)', async () => {
    // @ts-expect-error a row type comes from a row schema, never from the caller's word
    const unchecked = await runSql<{ id: number }>(env.orm.em.fork(), `select 1 as id`);
    const { rows } = await runSql(env.orm.em.fork(), `select 1 as id`);
    // @ts-expect-error without a schema a column is unknown until it is checked
    const id: number = rows[0]!.id;
    expect([unchecked.rows, id]).toEqual([[{ id: 1 }], 1]);
  });

  it("sends a literal '?' (a jsonb operator) as it is", async () => {
    const { rows } = await runSql(
      env.orm.em.fork(),
      `select cast(:doc as jsonb) ? cast(:key as text) as has, cast(:doc as jsonb) ?| array['x', 'b'] as any`,
      { doc: { b: 1 }, key: 'a' },
      { row: z.object({ has: z.boolean(), any: z.boolean() }) },
    );
    expect(rows[0]).toEqual({ has: false, any: true });
  });

  it('runs inside the transaction of em.transactional, on its connection', async () => {
    const em = env.orm.em.fork();
    const seen = await em
      .transactional(async (tx) => {
        await runSql(tx, `create temporary table run_sql_probe (n int) on commit drop`);
        await runSql(tx, `insert into run_sql_probe values (1)`);
        const inside = (await runSql(tx, `select count(*) as n from run_sql_probe`, {}, { row: Count })).rows[0]!.n;
        throw Object.assign(new Error('roll back'), { inside });
      })
      .catch((err: { inside: number }) => err.inside);
    expect(seen).toBe(1);
    const { rows } = await runSql(
      em,
      `select to_regclass('pg_temp.run_sql_probe') is not null as exists`,
      {},
      { row: z.object({ exists: z.boolean() }) },
    );
    expect(rows[0]!.exists).toBe(false);
  });

  // PgBouncer in transaction mode (DATABASE_PREPARED_STATEMENTS=off): no statement may stay prepared on a server connection.
  it('prepares a named statement on the connection, and none when named statements are off', async () => {
    const prepared = (tx: Parameters<typeof runSql>[0], marker: string) =>
      runSql(
        tx,
        `select count(*) as n from pg_prepared_statements where statement like :pattern`,
        { pattern: `%${marker}%` },
        { row: Count },
      );
    const seen = await env.orm.em.fork().transactional(async (tx) => {
      try {
        useNamedStatements(false);
        await runSql(tx, `select 'unnamed-probe' as marker`);
        const unnamed = (await prepared(tx, 'unnamed-probe')).rows[0]!.n;
        useNamedStatements(true);
        await runSql(tx, `select 'named-probe' as marker`);
        return { unnamed, named: (await prepared(tx, 'named-probe')).rows[0]!.n };
      } finally {
        useNamedStatements(true);
      }
    });
    expect(seen).toEqual({ unnamed: 0, named: 1 });
  });
});
