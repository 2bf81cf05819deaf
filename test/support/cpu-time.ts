/**
 * The CPU time, in ms, this process spent running `work` (user + system). For a bound on how much
 * work a synchronous computation does: unlike the wall clock, it does not count the time the
 * process waited for a CPU while other test files ran on the machine's cores (each test file runs
 * in a process of its own, `pool: 'forks'`).
 */
export function cpuMsOf(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / 1_000;
}
