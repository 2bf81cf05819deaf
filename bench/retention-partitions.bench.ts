import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import { KIND_SQL, type SweepCursor } from '../connectors/retention/sweep-kinds.sql.ts';
import { dropDatabase, ensureDatabase } from '../platform/db/ensure-database.ts';
import { migrateUp } from '../platform/db/migrate.ts';
import { openOrm } from '../platform/db/orm.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from '../test/support/test-sql.ts';
import { loadAverage, wholeNumberOption } from './support/bench-process.ts';
import { BENCH_PG_BASE } from './support/bench-env.ts';
import { seedRetentionData } from './support/retention-seed.ts';

const USAGE = `npm run bench -- retention-partitions [options]
  --messages N        messages, spread evenly over the last 60 days (2000000); the period is 30 days
  --batch-rows N      rows per batched-delete transaction (5000)`;

function progress(line: string): void {
  console.log(`[bench retention-partitions] ${line}`);
}

/** The tables compared, each with the column its monthly partitions are ranged on. */
const TABLES = [
  { table: 'messages', key: 'created_at' },
  { table: 'runs', key: 'started_at' },
  { table: 'run_steps', key: 'started_at' },
] as const;

const PERIOD_DAYS = 30;
const SPAN_DAYS = 60;

/**
 * Partitioning against batched deletes (issue 16, connectors/retention/README.md): the same data
 * (N messages over 60 days, a run per 20 with 3 steps, a 30-day period) twice: in the product's
 * tables, swept by the sweep's own batch statements (KIND_SQL, no rests), and in copies
 * partitioned by calendar month, where every month wholly before the cutoff is detached and
 * dropped and the expired rows of the month the cutoff falls in are deleted in batches. No
 * traffic runs meanwhile: this compares the two ways of deleting, not their effect on replies.
 */
export async function runRetentionPartitionsBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: 'string', default: '2000000' },
      'batch-rows': { type: 'string', default: '5000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const messages = wholeNumberOption('messages', values.messages, USAGE, 2);
  const batchRows = wholeNumberOption('batch-rows', values['batch-rows'], USAGE, 1);
  progress(`load average at start: ${loadAverage()}`);
  const databaseUrl = `${BENCH_PG_BASE}/om_bench_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(databaseUrl);
  const orm = await openOrm(databaseUrl);
  try {
    await migrateUp(orm);
    const em = orm.em.fork();
    const target = await createWorkspace(em);
    const seeded = performance.now();
    await seedRetentionData(em, target, messages, { kind: 'uniform', spanDays: SPAN_DAYS });
    progress(
      `seeded ${messages} messages with runs and steps over ${SPAN_DAYS} days in ${Math.round((performance.now() - seeded) / 1000)} s; load ${loadAverage()}`,
    );
    // Dates read back through runSql are strings or Dates depending on the driver's type parsers: made Dates here.
    const cutoff = new Date(
      (await testSql<{ cutoff: string }>(em, `select cast(now() - make_interval(days => :days) as text) as cutoff`, { days: PERIOD_DAYS }))
        .rows[0]!.cutoff,
    );
    await buildPartitionedCopies(em);
    await runSql(em, `vacuum analyze`);

    // Batched deletes, as the sweep does them (message content, then runs with their steps).
    const scope = { workspaceId: target.workspaceId, cutoff, holds: { workspace: false, contactIds: [], conversationIds: [] } };
    const batchedStarted = performance.now();
    let batched = 0;
    for (const kind of ['message_content', 'run_steps'] as const) {
      let cursor: SweepCursor = {};
      for (;;) {
        const r = await orm.em.fork().transactional((tx) => KIND_SQL[kind].deleteBatch(tx, scope, batchRows, cursor));
        batched += r.rows;
        cursor = r.cursor;
        if (r.rows === 0) break;
      }
    }
    const batchedMs = performance.now() - batchedStarted;
    progress(
      `batched deletes: ${batched} rows in ${Math.round(batchedMs)} ms: ${Math.round(batched / (batchedMs / 1000))} rows/s; load ${loadAverage()}`,
    );

    // Partitions: drop every month wholly before the cutoff, then delete the rest of the month the cutoff falls in.
    const plan: { table: string; key: string; name: string; drop: boolean; rows: number }[] = [];
    for (const { table, key } of TABLES) {
      const parts = (
        await testSql<{ name: string; upper: string; lower: string }>(
          em,
          `select c.relname as name, cast(substring(pg_get_expr(c.relpartbound, c.oid) from 'TO \\(''([^'']+)''\\)') as timestamptz) as upper,
                  cast(substring(pg_get_expr(c.relpartbound, c.oid) from 'FROM \\(''([^'']+)''\\)') as timestamptz) as lower
             from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = cast(:parent as regclass) order by 2`,
          { parent: `${table}_p` },
        )
      ).rows;
      for (const { name, ...bounds } of parts) {
        const part = { name, upper: new Date(bounds.upper), lower: new Date(bounds.lower) };
        if (part.lower >= cutoff) continue;
        // Counted before the clock starts: the drop itself does not need to know.
        const rows =
          part.upper <= cutoff ? Number((await testSql<{ n: string }>(em, `select count(*) as n from ${part.name}`)).rows[0]!.n) : 0;
        plan.push({ table, key, name: part.name, drop: part.upper <= cutoff, rows });
      }
    }
    const partStarted = performance.now();
    let dropped = 0;
    let remainder = 0;
    for (const part of plan) {
      if (part.drop) {
        await runSql(em, `alter table ${part.table}_p detach partition ${part.name}`);
        await runSql(em, `drop table ${part.name}`);
        dropped += part.rows;
        continue;
      }
      // The month the cutoff falls in: its expired rows go in batches, by ctid within this one partition.
      for (;;) {
        const n = (
          await runSql(
            em,
            `delete from ${part.name} where ctid = any(array(select ctid from ${part.name} where workspace_id = :workspaceId and ${part.key} < :cutoff order by ${part.key} limit :limit))`,
            {
              workspaceId: target.workspaceId,
              cutoff,
              limit: batchRows,
            },
          )
        ).rowCount;
        remainder += n;
        if (n === 0) break;
      }
    }
    const partMs = performance.now() - partStarted;
    progress(
      `partitions: ${dropped} rows in whole months dropped, ${remainder} rows of the cutoff's month deleted in batches, in ${Math.round(partMs)} ms: ${Math.round((dropped + remainder) / (partMs / 1000))} rows/s; load ${loadAverage()}`,
    );
    if (dropped + remainder !== batched)
      throw new Error(`the two ways deleted different row counts: ${batched} batched, ${dropped + remainder} with partitions`);
    console.log(
      JSON.stringify({
        bench: 'retention-partitions',
        deleted: batched,
        batched_rows_per_s: Math.round(batched / (batchedMs / 1000)),
        partition_rows_per_s: Math.round((dropped + remainder) / (partMs / 1000)),
        partition_dropped_rows: dropped,
        partition_batched_rows: remainder,
      }),
    );
  } finally {
    await orm.close();
    await dropDatabase(databaseUrl);
  }
}

async function createWorkspace(em: EntityManager): Promise<{ workspaceId: string; channelId: string; flowId: string; versionId: string }> {
  const ids = (
    await testSql<{ w: string; c: string; f: string; v: string }>(
      em,
      `select gen_random_uuid() as w, gen_random_uuid() as c, gen_random_uuid() as f, gen_random_uuid() as v`,
    )
  ).rows[0]!;
  const b = { workspaceId: ids.w, channelId: ids.c, flowId: ids.f, versionId: ids.v };
  await runSql(em, `insert into workspaces (id, name) values (:workspaceId, 'partitions bench')`, b);
  await runSql(
    em,
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'data', 'connected')`,
    b,
  );
  await runSql(em, `insert into flows (id, workspace_id, name, draft) values (:flowId, :workspaceId, 'data', '{}')`, b);
  await runSql(
    em,
    `insert into flow_versions (id, workspace_id, flow_id, version, document) values (:versionId, :workspaceId, :flowId, 1, '{}')`,
    b,
  );
  return b;
}

/**
 * `<table>_p`: a copy of each table partitioned by calendar month of its time key, with the
 * table's own indexes (a unique index must then include the time key: see the README). No
 * foreign keys: a referenced partition cannot be dropped while a child row points into it.
 */
async function buildPartitionedCopies(em: EntityManager): Promise<void> {
  for (const { table, key } of TABLES) {
    await runSql(em, `create table ${table}_p (like ${table} including defaults) partition by range (${key})`);
    const months = (
      await testSql<{ month: string; suffix: string }>(
        em,
        `select cast(m as text) as month, to_char(m, 'YYYY_MM') as suffix from (select generate_series(date_trunc('month', min(${key})), date_trunc('month', max(${key})), interval '1 month') as m from ${table}) g`,
      )
    ).rows;
    for (const { month, suffix } of months) {
      // DDL takes no parameters: the bound is a literal of PostgreSQL's own making.
      const to = (
        await testSql<{ to: string }>(em, `select cast(cast(:month as timestamptz) + interval '1 month' as text) as to`, { month })
      ).rows[0]!.to;
      await runSql(em, `create table ${table}_p_${suffix} partition of ${table}_p for values from ('${month}') to ('${to}')`);
    }
    const indexes = (
      await testSql<{ def: string }>(
        em,
        `select pg_get_indexdef(indexrelid) as def from pg_index where indrelid = cast(:table as regclass)`,
        { table },
      )
    ).rows;
    for (const { def } of indexes) {
      // Same columns on the partitioned copy; a unique one gains the partition key (PostgreSQL requires it).
      let copy = def.replace(/INDEX (\S+) ON public\.(\S+)/, (_, name: string, t: string) => `INDEX ${name}_p ON public.${t}_p`);
      if (/^CREATE UNIQUE/.test(copy) && !copy.includes(key)) copy = copy.replace(/\(([^()]*)\)/, (_, cols: string) => `(${cols}, ${key})`);
      await runSql(em, copy);
    }
    await runSql(em, `insert into ${table}_p select * from ${table}`);
  }
}
