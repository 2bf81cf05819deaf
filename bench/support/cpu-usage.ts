import { readFile } from 'node:fs/promises';
import type { Orm } from '../../platform/db/orm.ts';
import type { Redis } from '../../platform/redis.ts';
import { testSql } from '../../test/support/test-sql.ts';

/** CPU time spent so far by this process, by the PostgreSQL backends of the bench database, and by Redis, ms. */
export interface CpuSnapshot {
  nodeMs: number;
  postgresMs: number;
  redisMs: number;
  /** CPU ms of each PostgreSQL backend, by pid (a diff only counts what each backend did in between). */
  backends?: Map<number, number>;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/*
 * CPU per message is what a loaded 2-core machine cannot hide: wall-clock figures move with
 * whatever else runs, CPU time per message much less. PostgreSQL: the backends connected to the
 * bench's database (both pools keep their connections, so a diff over a phase covers its work).
 * Redis is shared with anything else running, so its figure is an upper bound.
 */
export async function cpuSnapshot(orm: Orm, redis: Redis, database: string): Promise<CpuSnapshot> {
  const usage = process.cpuUsage();
  const { rows } = await testSql<{ pid: number }>(orm.em.fork(), `select pid from pg_stat_activity where datname = :database`, {
    database,
  });
  const backends = new Map<number, number>();
  for (const { pid } of rows) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    backends.set(pid, ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1000);
  }
  const info = await redis.info('cpu');
  const redisSeconds = ['used_cpu_user', 'used_cpu_sys'].reduce(
    (sum, key) => sum + Number(new RegExp(`${key}:([\\d.]+)`).exec(info)?.[1] ?? 0),
    0,
  );
  const postgresMs = [...backends.values()].reduce((a, b) => a + b, 0);
  return { nodeMs: (usage.user + usage.system) / 1000, postgresMs, redisMs: redisSeconds * 1000, backends };
}

/**
 * CPU ms per message between two snapshots. PostgreSQL: per backend, what it used in between (a
 * backend opened meanwhile counts whole; one closed meanwhile, when a pool let an idle
 * connection go, loses its share: the figure is then a little low, never negative).
 */
export function cpuPerMessage(before: CpuSnapshot, after: CpuSnapshot, messages: number): CpuSnapshot {
  const per = (ms: number) => Math.round((ms / messages) * 100) / 100;
  let postgresMs = 0;
  for (const [pid, ms] of after.backends ?? []) postgresMs += ms - (before.backends?.get(pid) ?? 0);
  return { nodeMs: per(after.nodeMs - before.nodeMs), postgresMs: per(postgresMs), redisMs: per(after.redisMs - before.redisMs) };
}
