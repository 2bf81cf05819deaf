import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime, ms. */
  ownMs: number;
  /** cutime + cstime: children that exited and were waited for, ms. */
  reapedChildrenMs: number;
}

/** A process's CPU times from /proc; null once it exited. */
export async function procStat(pid: number): Promise<ProcStat | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  // Fields after the command name (which may hold spaces and parentheses): ppid is the 2nd, utime..cstime the 12th to 15th.
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const ms = (ticks: number) => (ticks / USER_HZ) * 1000;
  return { ppid: f[1]!, ownMs: ms(f[11]! + f[12]!), reapedChildrenMs: ms(f[13]! + f[14]!) };
}

/** CPU ms a process has used so far; null once it exited. */
export async function processCpuMs(pid: number): Promise<number | null> {
  return (await procStat(pid))?.ownMs ?? null;
}

/**
 * CPU ms a PostgreSQL server has used so far: the postmaster, its live children (backends,
 * checkpointer, walwriter...) and the children that already exited (a backend closed by a pool
 * counts whole, through the postmaster's cutime/cstime). `backendPid`: any backend of the server.
 */
export async function postgresServerCpuMs(backendPid: number): Promise<number | null> {
  const backend = await procStat(backendPid);
  if (!backend) return null;
  const postmaster = await procStat(backend.ppid);
  if (!postmaster) return null;
  let total = postmaster.ownMs + postmaster.reapedChildrenMs;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = await procStat(Number(entry));
    if (child?.ppid === backend.ppid) total += child.ownMs;
  }
  return total;
}
