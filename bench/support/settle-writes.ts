import type { Orm } from '../../platform/db/orm.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/**
 * A CHECKPOINT before a phase whose latency is measured: the data files a previous phase wrote
 * (a seed, a closed loop at full speed) reach the disk now rather than in the middle of the
 * phase. Otherwise the kernel writes them in a burst 30 s after they were dirtied
 * (vm.dirty_expire_centisecs) or a checkpoint's sync sends them at once, and every commit's WAL
 * flush waits behind that burst for 100–250 ms: the p99 of a phase of a few thousand replies is
 * then that one stall, not the product (bench/README.md, sessions 12 and 15). Answers how long the
 * checkpoint took, in ms.
 */
export async function settleWrites(orm: Orm): Promise<number> {
  const started = performance.now();
  try {
    await runSql(orm.em.fork(), `checkpoint`);
  } catch (err) {
    throw new Error(
      `the bench runs CHECKPOINT before a measured phase, which needs a superuser or the pg_checkpoint role (BENCH_DATABASE_BASE_URL); --unsettled skips it: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return Math.round(performance.now() - started);
}

/**
 * `VACUUM ANALYZE` of the bench database before a closed loop, for a server with autovacuum off
 * (this machine's shared cluster, bench/README.md; `startBench` says which): otherwise each phase
 * runs on the dead rows and the stale statistics the phases before it left, which production's
 * autovacuum would have cleared, and the order of the phases decides their figures (the ingress
 * bench's second route measured 1.5–2.7 ms of PostgreSQL CPU per message against 1.1 on a cluster
 * with autovacuum on). Answers how long it took, in ms.
 */
export async function vacuumAnalyze(orm: Orm): Promise<number> {
  const started = performance.now();
  await runSql(orm.em.fork(), `vacuum analyze`);
  return Math.round(performance.now() - started);
}
