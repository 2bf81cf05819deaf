import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRedis } from '../platform/redis.ts';
import { loadAverage } from './support/bench-process.ts';
import { LOAD_KEYWORD, loadPhone, percentile, postWithRetries, rssOf, slope, startFaultCluster } from './support/fault-cluster.ts';
import { postgresServerCpuMs, processCpuMs } from './support/process-cpu.ts';

/*
 * `npm run soak -- --minutes 60 --rate 200`: steady load on the product as a deployment runs it
 * (own PostgreSQL and Redis, one api, two workers, one connector), sampled once a minute: heap
 * (a Node diagnostic report on SIGUSR2) and RSS of every process, Redis keys and memory,
 * PostgreSQL table sizes, accept and handling latency p99. The last line is JSON and says whether
 * memory and p99 stayed flat (least-squares slope per hour over the run after its first
 * `--warmup-minutes`) and Redis keys stayed bounded.
 *
 * Each minute also says what a message cost in CPU: `cpuMsPerMessage`, the CPU ms each role
 * (its processes together), the load generator, PostgreSQL and Redis used in that minute, per
 * message accepted in it. On a shared 2-core machine latency moves with whatever else runs; CPU
 * per message much less, so it is the figure to compare two builds by.
 */

const USAGE = `npm run soak -- [--minutes 60] [--rate 200] [--senders 2000] [--workers 2] [--connectors 1] [--warmup-minutes 5] [--flow echo|two-replies] [--cpu-profile-dir /tmp/prof] [--heap-snapshot-dir /tmp/heap]`;

interface Sample {
  minute: number;
  sent: number;
  accepted: number;
  acceptP99Ms: number;
  handleP99Ms: number;
  cpuMsPerMessage: Record<string, number>;
  processes: { role: string; pid: number; rssMb: number | null; heapMb: number | null }[];
  redisKeys: number;
  redisMemoryMb: number;
  tablesMb: Record<string, number>;
  load: string;
}

/** Memory's floor grows less than this share of its mean per hour: "flat". */
const FLAT_MEMORY_SHARE_PER_HOUR = 0.1;
/*
 * A sample catches the heap anywhere on its garbage-collection sawtooth (a worker's heap swung
 * between 82 and 226 MB from one minute to the next in a 60-minute soak), so a slope through the
 * samples is mostly where the last few landed. A leak raises the floor: flatness is judged on the
 * lowest value of each window of this many minutes.
 */
const FLOOR_WINDOW_MINUTES = 5;
/** p99 grows less than this share of its mean per hour (or 20 ms/h): "flat". */
const FLAT_P99_SHARE_PER_HOUR = 0.25;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      minutes: { type: 'string', default: '60' },
      rate: { type: 'string', default: '200' },
      senders: { type: 'string', default: '2000' },
      workers: { type: 'string', default: '2' },
      connectors: { type: 'string', default: '1' },
      'warmup-minutes': { type: 'string', default: '5' },
      flow: { type: 'string', default: 'echo' },
      'cpu-profile-dir': { type: 'string' },
      'heap-snapshot-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  const senders = Number(values.senders);
  const flow = values.flow === 'two-replies' ? 'two-replies' : values.flow === 'echo' ? 'echo' : undefined;
  if (!flow) throw new Error(`--flow must be echo or two-replies, not ${values.flow}`);
  const warmup = Math.min(Number(values['warmup-minutes']), Math.floor(minutes / 3));
  const progress = (line: string) => console.log(`[soak] ${line}`);
  progress(`${minutes} min at ${rate} msg/s from ${senders} senders, flow ${flow}; load average ${loadAverage()}`);

  const reports = await mkdtemp(join(tmpdir(), 'om-soak-reports-'));
  process.env.FAULT_CLUSTER_NAME ??= 'om_soak';
  // --cpu-profile-dir: every role process writes a CPU profile of the run's second minute (see cpu-profile.hook.mjs).
  const profileDir = values['cpu-profile-dir'];
  const profiling: { hook: string; env: Record<string, string> } = profileDir
    ? {
        hook: ` --import ${fileURLToPath(new URL('./support/cpu-profile.hook.mjs', import.meta.url))}`,
        env: { CPU_PROFILE_DIR: profileDir, CPU_PROFILE_DELAY_MS: '90000', CPU_PROFILE_MS: '60000' },
      }
    : { hook: '', env: {} };
  // --heap-snapshot-dir: every role process writes a heap snapshot (after a full GC, so live
  // objects only) at the end of the warm-up and at the end; compare them with bench/support/heap-diff.ts.
  const snapshotDir = values['heap-snapshot-dir'];
  const snapshotOption = snapshotDir ? ` --heapsnapshot-signal=SIGUSR1 --diagnostic-dir=${snapshotDir}` : '';
  const takeHeapSnapshots = (when: string) => {
    if (!snapshotDir) return;
    progress(`heap snapshots (${when})`);
    for (const p of fc.cluster.alive()) p.child.kill('SIGUSR1');
  };
  const fc = await startFaultCluster({
    workers: Number(values.workers),
    connectors: Number(values.connectors),
    progress,
    flow,
    env: profiling.env,
    nodeOptions: `--report-on-signal --report-signal=SIGUSR2 --report-directory=${reports}${profiling.hook}${snapshotOption}`,
  });
  const stop = async () => {
    await fc.cleanup();
    await rm(reports, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  const redis = createRedis(fc.redis.url);
  const cpu = new CpuMeter(fc, redis);
  await cpu.sinceLast();
  const samples: Sample[] = [];
  try {
    let seq = 0;
    let inFlight = 0;
    let minuteSent = 0;
    let minuteAccepted = 0;
    let minuteLatencies: number[] = [];
    let lost = 0;
    let accepted = 0;
    const started = Date.now();
    const end = started + minutes * 60_000;
    let nextSample = started + 60_000;
    // Open loop: `rate` arrivals a second in 10 ms slices, at most 2,000 in flight.
    while (Date.now() < end) {
      const sliceStart = Date.now();
      const due = Math.floor(((sliceStart - started) / 1000) * rate) - seq;
      for (let k = 0; k < due && inFlight < 2_000; k++) {
        const i = seq++;
        inFlight++;
        minuteSent++;
        void postWithRetries(
          fc,
          { from: loadPhone(i % senders), text: `${LOAD_KEYWORD} ${i}`, id: `soak-${i}` },
          { deadlineMs: 60_000 },
        ).then((r) => {
          inFlight--;
          if (r.accepted) {
            minuteAccepted++;
            // Also those still in flight at the last sample: the samples' sum misses them.
            accepted++;
            minuteLatencies.push(r.latencyMs);
          } else lost++;
        });
      }
      if (Date.now() >= nextSample) {
        const minute = samples.length + 1;
        const latencies = minuteLatencies.sort((a, b) => a - b);
        const sample = await takeSample(fc, redis, reports, cpu, minute, {
          sent: minuteSent,
          accepted: minuteAccepted,
          acceptP99Ms: percentile(latencies, 99),
        });
        samples.push(sample);
        progress(JSON.stringify(sample));
        if (minute === warmup) takeHeapSnapshots('end of the warm-up');
        minuteSent = 0;
        minuteAccepted = 0;
        minuteLatencies = [];
        nextSample += 60_000;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 10 - (Date.now() - sliceStart))));
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 100));
    takeHeapSnapshots('end');
    // A snapshot of a ~100 MB heap takes its process a few seconds to write.
    if (snapshotDir) await new Promise((r) => setTimeout(r, 20_000));
    if (minuteSent > 0)
      samples.push(
        await takeSample(fc, redis, reports, cpu, samples.length + 1, {
          sent: minuteSent,
          accepted: minuteAccepted,
          acceptP99Ms: percentile(
            minuteLatencies.sort((a, b) => a - b),
            99,
          ),
        }),
      );
    console.log(JSON.stringify(verdict(samples, warmup, { lost, sent: seq, accepted, rate })));
  } finally {
    redis.disconnect();
    await stop();
  }
}

type Cluster = Awaited<ReturnType<typeof startFaultCluster>>;

/** CPU ms used since the previous call, by role (every process of it), the load generator, PostgreSQL and Redis. */
class CpuMeter {
  private last = new Map<string, number>();

  constructor(
    private readonly fc: Cluster,
    private readonly redis: ReturnType<typeof createRedis>,
  ) {}

  async sinceLast(): Promise<Record<string, number>> {
    const now = new Map<string, number>();
    for (const p of this.fc.cluster.alive()) {
      const ms = await processCpuMs(p.pid);
      if (ms !== null) now.set(`${p.role}:${p.pid}`, ms);
    }
    const usage = process.cpuUsage();
    now.set('load', (usage.user + usage.system) / 1000);
    const [backend] = await this.fc.cluster.sql<{ pid: number }>('select pg_backend_pid() as pid');
    const postgresMs = backend ? await postgresServerCpuMs(backend.pid) : null;
    if (postgresMs !== null) now.set('postgres', postgresMs);
    const info = await this.redis.info('cpu');
    now.set(
      'redis',
      ['used_cpu_user', 'used_cpu_sys'].reduce((sum, key) => sum + Number(new RegExp(`${key}:([\\d.]+)`).exec(info)?.[1] ?? 0), 0) * 1000,
    );
    const byRole: Record<string, number> = {};
    for (const [key, ms] of now) {
      // A process started since the last call counts from its start.
      const role = key.split(':')[0]!;
      byRole[role] = (byRole[role] ?? 0) + ms - (this.last.get(key) ?? 0);
    }
    this.last = now;
    byRole.total = Object.values(byRole).reduce((a, b) => a + b, 0);
    return byRole;
  }
}

async function takeSample(
  fc: Cluster,
  redis: ReturnType<typeof createRedis>,
  reports: string,
  cpu: CpuMeter,
  minute: number,
  load: { sent: number; accepted: number; acceptP99Ms: number },
): Promise<Sample> {
  // Before the heap reports below, which cost the processes CPU of their own.
  const cpuMs = await cpu.sinceLast();
  const alive = fc.cluster.alive();
  for (const p of alive) p.child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 1_500));
  const heaps = new Map<number, number>();
  for (const file of await readdir(reports)) {
    const pid = Number(/\.(\d+)\.\d+\.\d+\.json$/.exec(file)?.[1]);
    try {
      const report = JSON.parse(await readFile(join(reports, file), 'utf8')) as { javascriptHeap?: { usedMemory?: number } };
      if (report.javascriptHeap?.usedMemory !== undefined) heaps.set(pid, report.javascriptHeap.usedMemory);
    } catch {
      // a report still being written: the next minute's sample has it
      continue;
    }
    await rm(join(reports, file), { force: true });
  }
  const processes = await Promise.all(
    alive.map(async (p) => {
      const rss = await rssOf(p);
      const heap = heaps.get(p.pid);
      return {
        role: p.role,
        pid: p.pid,
        rssMb: rss === null ? null : round(rss / 2 ** 20),
        heapMb: heap === undefined ? null : round(heap / 2 ** 20),
      };
    }),
  );
  const info = await redis.info('memory');
  const tables = await fc.cluster.sql<{ name: string; bytes: string }>(
    `select relname as name, pg_total_relation_size(c.oid)::text as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and relname in ('messages', 'runs', 'run_steps', 'contacts', 'conversations') order by relname`,
  );
  const [handled] = await fc.cluster.sql<{ p99: number | null }>(
    `select percentile_cont(0.99) within group (order by extract(epoch from (handled_at - created_at)) * 1000) as p99
       from messages where direction = 'inbound' and created_at > now() - interval '1 minute' and handled_at is not null`,
  );
  return {
    minute,
    ...load,
    handleP99Ms: Math.round(Number(handled?.p99 ?? 0)),
    cpuMsPerMessage: Object.fromEntries(
      Object.entries(cpuMs).map(([role, ms]) => [role, Math.round((ms / Math.max(1, load.accepted)) * 100) / 100]),
    ),
    processes,
    redisKeys: await redis.dbsize(),
    redisMemoryMb: round(Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 2 ** 20),
    tablesMb: Object.fromEntries(tables.map((t) => [t.name, round(Number(t.bytes) / 2 ** 20)])),
    load: loadAverage(),
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The lowest point of each window of FLOOR_WINDOW_MINUTES consecutive samples, at the window's middle. */
function floors(points: readonly { x: number; y: number }[]): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i + FLOOR_WINDOW_MINUTES <= points.length; i += FLOOR_WINDOW_MINUTES) {
    const window = points.slice(i, i + FLOOR_WINDOW_MINUTES);
    out.push({ x: (window[0]!.x + window.at(-1)!.x) / 2, y: Math.min(...window.map((p) => p.y)) });
  }
  return out;
}

function verdict(samples: Sample[], warmup: number, totals: { lost: number; sent: number; accepted: number; rate: number }) {
  const steady = samples.filter((s) => s.minute > warmup);
  const perHour = (ys: { x: number; y: number }[]) => slope(ys) * 60;
  const mean = (ys: number[]) => (ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0);
  // Per process, over the minutes it was alive (a pid; the soak kills nobody).
  const pids = [...new Set(steady.flatMap((s) => s.processes.map((p) => `${p.role}:${p.pid}`)))];
  const memory = pids.map((key) => {
    const pts = steady.flatMap((s) =>
      s.processes
        .filter((p) => `${p.role}:${p.pid}` === key && p.rssMb !== null)
        .map((p) => ({ x: s.minute, rss: p.rssMb!, heap: p.heapMb })),
    );
    const rssPts = pts.map((p) => ({ x: p.x, y: p.rss }));
    const heapPts = pts.filter((p) => p.heap !== null).map((p) => ({ x: p.x, y: p.heap! }));
    const rssMean = mean(rssPts.map((p) => p.y));
    const heapMean = mean(heapPts.map((p) => p.y));
    const rssFloorSlope = perHour(floors(rssPts));
    const heapFloorSlope = perHour(floors(heapPts));
    return {
      process: key,
      rssMbMean: round(rssMean),
      rssMbPerHour: round(perHour(rssPts)),
      rssFloorMbPerHour: round(rssFloorSlope),
      heapMbMean: round(heapMean),
      heapMbPerHour: round(perHour(heapPts)),
      heapFloorMbPerHour: round(heapFloorSlope),
      flat:
        rssFloorSlope <= FLAT_MEMORY_SHARE_PER_HOUR * rssMean &&
        (heapPts.length < 2 * FLOOR_WINDOW_MINUTES || heapFloorSlope <= FLAT_MEMORY_SHARE_PER_HOUR * heapMean),
    };
  });
  const p99 = steady.map((s) => ({ x: s.minute, y: s.handleP99Ms }));
  const p99Slope = perHour(p99);
  const p99Mean = mean(p99.map((p) => p.y));
  const keys = steady.map((s) => s.redisKeys);
  const half = Math.floor(keys.length / 2);
  const firstHalfMax = Math.max(0, ...keys.slice(0, half));
  const secondHalfMax = Math.max(0, ...keys.slice(half));
  return {
    soak: 'done',
    minutes: samples.length,
    rate: totals.rate,
    sent: totals.sent,
    accepted: totals.accepted,
    lost: totals.lost,
    achievedRate: round(totals.accepted / Math.max(1, samples.length * 60)),
    memoryFlat: memory.every((m) => m.flat),
    memory,
    handleP99MsMean: Math.round(p99Mean),
    handleP99MsPerHour: Math.round(p99Slope),
    p99Flat: p99Slope <= Math.max(20, FLAT_P99_SHARE_PER_HOUR * p99Mean),
    redisKeysMax: Math.max(0, ...keys),
    redisKeysPerHour: Math.round(perHour(steady.map((s) => ({ x: s.minute, y: s.redisKeys })))),
    redisKeysBounded: keys.length < 2 || secondHalfMax <= Math.max(1.5 * firstHalfMax, firstHalfMax + 1_000),
    tablesMbAtEnd: samples.at(-1)?.tablesMb ?? {},
    note: 'tables grow with the messages kept (no retention within an hour); a shared 2-core machine makes latency noisy',
  };
}

try {
  await main();
  process.exit(0);
} catch (err) {
  console.error(err);
  process.exit(1);
}
