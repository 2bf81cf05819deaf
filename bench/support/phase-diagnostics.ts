import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Orm } from '../../platform/db/orm.ts';
import { testSql } from '../../test/support/test-sql.ts';

/**
 * Where the live traffic's time goes in a phase of a bench (issue 16's retention bench: idle,
 * during a sweep, idle again), measured from outside the product:
 * - `pg_stat_activity` sampled every `SAMPLE_MS` from a worker thread (its own event loop and
 *   connection, so a busy main loop does not hide the samples), each backend of the bench's
 *   database classed as the sweep's (application name, or a sweep statement) or live traffic, with
 *   its state: CPU (active, no wait event), a wait event, or "client" (idle in a transaction:
 *   waiting for the Node process). A sample of a statement running 50 ms or more counts as long.
 *   The walwriter, checkpointer and background writer are sampled too, and any backend of another
 *   database while it writes or syncs WAL (server-wide: whoever holds WALWriteLock shows there);
 * - the kernel's dirty page cache (`/proc/meminfo` Dirty + Writeback) at each sample: data files
 *   written by PostgreSQL but not yet on the disk, which a checkpoint's fsyncs (or the kernel's
 *   writeback) send to the disk in one burst that live commits' WAL flushes queue behind;
 * - for the slowest replies of a phase (`spikes`), what those samples saw while each was in flight;
 * - the Node process's event-loop delay (`monitorEventLoopDelay`), CPU time and time spent
 *   runnable but waiting for a CPU (`/proc/self/schedstat`);
 * - the server's WAL and buffer counters (`pg_stat_wal`, `pg_stat_bgwriter`: the whole server,
 *   other databases' work included) and the machine's CPU and IO pressure (`/proc/pressure`).
 */
export class PhaseDiagnostics {
  private readonly worker: Worker;
  private readonly loop: IntervalHistogram;
  private phase: { name: string; startedMs: number; server: ServerCounters; proc: ProcCounters } | null = null;

  private constructor(
    private readonly orm: Orm,
    databaseUrl: string,
    database: string,
  ) {
    const pgPath = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(SAMPLER_SOURCE, { eval: true, workerData: { pgPath, databaseUrl, database, sampleMs: SAMPLE_MS } });
    this.worker.unref();
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
  }

  static start(orm: Orm, databaseUrl: string, database: string): PhaseDiagnostics {
    return new PhaseDiagnostics(orm, databaseUrl, database);
  }

  async begin(name: string): Promise<void> {
    this.worker.postMessage({ kind: 'phase', name });
    this.loop.reset();
    this.phase = { name, startedMs: performance.now(), server: await serverCounters(this.orm), proc: await procCounters() };
  }

  /** Ends the current phase; the lines to print. */
  async end(): Promise<string[]> {
    const phase = this.phase!;
    const wallMs = performance.now() - phase.startedMs;
    const loop = { p50: this.loop.percentile(50) / 1e6, p99: this.loop.percentile(99) / 1e6, max: this.loop.max / 1e6 };
    const server = diff(phase.server, await serverCounters(this.orm));
    const proc = diff(phase.proc, await procCounters());
    const waits = await this.request<WaitSummary>({ kind: 'summary', name: phase.name });
    this.worker.postMessage({ kind: 'phase', name: null });
    this.phase = null;
    const pct = (us: number) => `${((us / 1000 / wallMs) * 100).toFixed(1)} %`;
    const lines = [
      `[${phase.name}] ${(wallMs / 1000).toFixed(1)} s; event-loop delay p50 ${loop.p50.toFixed(1)} / p99 ${loop.p99.toFixed(1)} / max ${loop.max.toFixed(1)} ms; ` +
        `bench process CPU ${(proc.nodeCpuNs / 1e9).toFixed(1)} s, runnable but waiting for a CPU ${(proc.nodeRunqueueNs / 1e6).toFixed(0)} ms; ` +
        `machine pressure: CPU ${pct(proc.cpuSomeUs)}, IO ${pct(proc.ioSomeUs)} (some)`,
      `[${phase.name}] server: WAL ${(server.walBytes / 1e6).toFixed(1)} MB (${server.walFpi} full-page images), WAL buffers full ${server.walBuffersFull}, ` +
        `WAL writes ${server.walWrite} / syncs ${server.walSync}; checkpoints ${server.checkpoints}; buffers written by checkpointer ${server.buffersCheckpoint}, ` +
        `bgwriter ${server.buffersClean}, backends ${server.buffersBackend} (fsyncs ${server.buffersBackendFsync})`,
    ];
    lines.push(
      `[${phase.name}] dirty page cache (Dirty + Writeback) ${waits.dirtyMb.first} MB at the start, at most ${waits.dirtyMb.max} MB; ` +
        `checkpointer fsyncing data files (IO:DataFileSync) in ${waits.roles.checkpointer?.states['IO:DataFileSync']?.n ?? 0} samples`,
    );
    for (const role of ['live', 'sweep', 'walwriter', 'checkpointer', 'background writer', 'other database'] as const) {
      const r = waits.roles[role];
      if (!r || r.samples === 0) continue;
      const top = Object.entries(r.states)
        .sort((a, b) => b[1].n - a[1].n)
        .slice(0, 8)
        .map(([state, s]) => `${state} ${s.n}${s.long ? ` (${s.long} long)` : ''}`)
        .join(', ');
      lines.push(`[${phase.name}] ${role}: ${r.samples} samples of ${waits.samples} (a backend not idle): ${top}`);
    }
    return lines;
  }

  /**
   * For each reply (epoch ms from its reception to its sending), the states the sampler saw in that
   * window, most frequent first, and the most dirty page cache: one line per reply.
   */
  async spikes(replies: { receivedMs: number; endToEndMs: number }[], sweepStartedMs: number): Promise<string[]> {
    const windows = replies.map((r) => ({ fromMs: r.receivedMs, toMs: r.receivedMs + r.endToEndMs }));
    const seen = await this.request<{ states: Record<string, number>; dirtyMb: number }[]>({ kind: 'windows', windows });
    return replies.map((r, i) => {
      const w = seen[i]!;
      const top = Object.entries(w.states)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([state, n]) => `${state} ${n}`)
        .join(', ');
      return `${Math.round(r.endToEndMs)} ms at t${r.receivedMs >= sweepStartedMs ? '+' : '-'}${(Math.abs(r.receivedMs - sweepStartedMs) / 1000).toFixed(1)} s: ${top || 'no sample'}; dirty page cache ${w.dirtyMb} MB`;
    });
  }

  async stop(): Promise<void> {
    this.loop.disable();
    await this.request({ kind: 'stop' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private request<T>(message: { kind: string; name?: string; windows?: { fromMs: number; toMs: number }[] }): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: { kind: string; value: T }) => {
        if (reply.kind !== message.kind) return;
        this.worker.off('message', onMessage);
        resolve(reply.value);
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
      this.worker.postMessage(message);
    });
  }
}

/** How often the sampler reads pg_stat_activity. */
const SAMPLE_MS = 20;

interface WaitSummary {
  samples: number;
  /** Dirty + Writeback of /proc/meminfo, MB: at the phase's first sample, and the most seen in it. */
  dirtyMb: { first: number; max: number };
  roles: Record<string, { samples: number; states: Record<string, { n: number; long: number }> }>;
}

interface ServerCounters {
  walBytes: number;
  walFpi: number;
  walBuffersFull: number;
  walWrite: number;
  walSync: number;
  checkpoints: number;
  buffersCheckpoint: number;
  buffersClean: number;
  buffersBackend: number;
  buffersBackendFsync: number;
}

async function serverCounters(orm: Orm): Promise<ServerCounters> {
  const row = (
    await testSql<Record<keyof ServerCounters, string>>(
      orm.em.fork(),
      `select w.wal_bytes as "walBytes", w.wal_fpi as "walFpi", w.wal_buffers_full as "walBuffersFull", w.wal_write as "walWrite", w.wal_sync as "walSync",
              b.checkpoints_timed + b.checkpoints_req as checkpoints, b.buffers_checkpoint as "buffersCheckpoint", b.buffers_clean as "buffersClean",
              b.buffers_backend as "buffersBackend", b.buffers_backend_fsync as "buffersBackendFsync"
         from pg_stat_wal w, pg_stat_bgwriter b`,
    )
  ).rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as unknown as ServerCounters;
}

interface ProcCounters {
  nodeCpuNs: number;
  nodeRunqueueNs: number;
  cpuSomeUs: number;
  ioSomeUs: number;
}

async function procCounters(): Promise<ProcCounters> {
  // schedstat: time on a CPU, time runnable waiting for one (ns), timeslices. The main thread's tid is the pid.
  const sched = (await readFile(`/proc/self/task/${process.pid}/schedstat`, 'utf8').catch(() => '0 0 0')).split(' ').map(Number);
  const some = async (kind: string) => {
    const text = await readFile(`/proc/pressure/${kind}`, 'utf8').catch(() => '');
    return Number(/some .*total=(\d+)/.exec(text)?.[1] ?? 0);
  };
  return { nodeCpuNs: sched[0]!, nodeRunqueueNs: sched[1]!, cpuSomeUs: await some('cpu'), ioSomeUs: await some('io') };
}

function diff<T extends object>(a: T, b: T): T {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, (v as number) - (a as Record<string, number>)[k]!])) as T;
}

/*
 * The sampler, a worker thread of its own (CommonJS source: a worker does not go through tsx).
 * A sweep's backend is recognised by its application name (set by the sweep's batches) or by a
 * statement of the sweep; its BEGIN/COMMIT by the last statement seen on that backend.
 */
const SAMPLER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const SWEEP = /doomed|retention_sweeps|legal_holds|synchronous_commit|pending_file_deletions|'\\+10000000000'/;
const WAL_IO = "('WALWrite', 'WALSync', 'WALInitWrite', 'WALInitSync')";
const SQL = "select pid, backend_type as type, datname = $1 as ours, state, wait_event_type as wtype, wait_event as wevent, application_name as app, " +
  "cast(extract(epoch from clock_timestamp() - case when state = 'active' then query_start else state_change end) * 1000 as float8) as ms, left(query, 200) as query " +
  "from pg_stat_activity where (datname = $1 or backend_type in ('walwriter', 'checkpointer', 'background writer') or wait_event in " + WAL_IO + ") and pid <> pg_backend_pid()";
const fs = require('node:fs');
function dirtyMb() {
  try {
    let kb = 0;
    for (const line of fs.readFileSync('/proc/meminfo', 'utf8').split(String.fromCharCode(10))) {
      const [name, value] = line.split(':');
      if (name === 'Dirty' || name === 'Writeback') kb += parseInt(value, 10);
    }
    return Math.round(kb / 1024);
  } catch { return 0; }
}
// Every sample of the run, for the windows of slow replies: [epoch ms, dirty MB, 'role state' of each non-idle backend].
const timeline = [];
const TIMELINE_MAX = 100000;
const client = new pg.Client({ connectionString: workerData.databaseUrl, application_name: 'bench wait sampler' });
let phase = null;
const phases = new Map();
const lastSweepAt = new Map();
let stopped = false;
function add(summary, role, state, long) {
  const r = (summary.roles[role] ??= { samples: 0, states: {} });
  r.samples += 1;
  const s = (r.states[state] ??= { n: 0, long: 0 });
  s.n += 1;
  if (long) s.long += 1;
}
async function loop() {
  await client.connect();
  while (!stopped) {
    const started = Date.now();
    if (phase) {
      const summary = phases.get(phase);
      const { rows } = await client.query(SQL, [workerData.database]);
      const dirty = dirtyMb();
      if (summary.samples === 0) summary.dirtyMb.first = dirty;
      summary.dirtyMb.max = Math.max(summary.dirtyMb.max, dirty);
      summary.samples += 1;
      const seen = [];
      for (const row of rows) {
        row.query = row.query || '';
        if (row.state === 'idle' || row.state === null && row.type === 'client backend') continue;
        let role = 'live';
        if (row.type === 'walwriter' || row.type === 'checkpointer' || row.type === 'background writer') role = row.type;
        else if (!row.ours) role = 'other database';
        else if (row.app === 'bench wait sampler') continue;
        else if (row.app === 'onemessage retention sweep' || SWEEP.test(row.query)) { role = 'sweep'; lastSweepAt.set(row.pid, started); }
        else if (/^(begin|commit|rollback|set )/i.test(row.query.trim()) && started - (lastSweepAt.get(row.pid) ?? 0) < 200) role = 'sweep';
        const state = row.state === 'idle in transaction' ? 'client' : row.wtype ? row.wtype + ':' + row.wevent : 'CPU';
        add(summary, role, state, row.state === 'active' && row.ms >= 50);
        if (!/^(Activity|Timeout):/.test(state)) seen.push(role + ' ' + state);
      }
      if (timeline.length < TIMELINE_MAX) timeline.push([started, dirty, seen]);
    }
    await new Promise((r) => setTimeout(r, Math.max(1, workerData.sampleMs - (Date.now() - started))));
  }
  await client.end();
}
parentPort.on('message', (m) => {
  if (m.kind === 'phase') { phase = m.name; if (m.name && !phases.has(m.name)) phases.set(m.name, { samples: 0, dirtyMb: { first: 0, max: 0 }, roles: {} }); }
  else if (m.kind === 'summary') parentPort.postMessage({ kind: 'summary', value: phases.get(m.name) ?? { samples: 0, dirtyMb: { first: 0, max: 0 }, roles: {} } });
  else if (m.kind === 'windows') {
    const value = m.windows.map((w) => {
      const states = {};
      let dirty = 0;
      for (const [t, d, seen] of timeline) {
        if (t < w.fromMs || t > w.toMs) continue;
        dirty = Math.max(dirty, d);
        for (const s of seen) states[s] = (states[s] ?? 0) + 1;
      }
      return { states, dirtyMb: dirty };
    });
    parentPort.postMessage({ kind: 'windows', value });
  }
  else if (m.kind === 'stop') { stopped = true; parentPort.postMessage({ kind: 'stop', value: null }); }
});
loop().catch((err) => { console.error('wait sampler failed', err); });
`;
