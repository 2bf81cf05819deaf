import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { CONTACT_IMPORT_QUEUE } from '../platform/contacts/contact-import-jobs.ts';
import { testSql } from '../test/support/test-sql.ts';
import type { BenchEnv } from './support/bench-env.ts';
import { loadAverage, startBench, wholeNumberOption } from './support/bench-process.ts';
import { createWorkspace } from './support/engine-fixture.ts';

type BenchEnvRedis = BenchEnv['redis'];

const USAGE = `npm run bench -- import [options]
  --rows N        data rows of the CSV file (1000000)
  --worker-role   import in a whole \`onemessage worker\` process (every background job of the
                  product idles in it) instead of a process running only the import queue`;

function progress(line: string): void {
  console.log(`[bench import] ${line}`);
}

/** Rows generated per chunk of the upload. */
const CHUNK_ROWS = 2_000;
/** One row in this many is a local number (read with the default country), one in BAD_EVERY has a bad phone. */
const LOCAL_EVERY = 10;
const BAD_EVERY = 1_000;
const CITIES = ['Lisbon', 'Recife', 'Oslo', 'Austin', 'Lagos', 'Pune'];
const POLL_MS = 250;
const BIN = fileURLToPath(new URL('../bin/onemessage.js', import.meta.url));
const IMPORT_WORKER = fileURLToPath(new URL('./support/import-worker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A field of /proc/<pid>/status in MB: VmRSS (now) or VmHWM (the peak so far, kept by the kernel). */
async function procMb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return Math.round(kb / 1024);
}

/** Waits until a worker of the contact-imports queue is connected (BullMQ lists its workers). */
async function waitForWorkerReady(redis: BenchEnvRedis, prefix: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  const queue = new Queue(CONTACT_IMPORT_QUEUE, { connection: redis, prefix });
  try {
    while ((await queue.getWorkersCount()) === 0) {
      if (Date.now() > deadline) throw new Error('the worker process did not start within 2 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await queue.close();
  }
}

/** Starts the importing process on the bench's database: `onemessage worker`, or the import queue's worker alone. */
function startWorker(
  env: { databaseUrl: string; redisUrl: string; redisPrefix: string; secretKeyHex: string },
  workerRole: boolean,
): ChildProcess {
  const child = spawn(process.execPath, workerRole ? [BIN, 'worker'] : ['--import', 'tsx', IMPORT_WORKER], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: env.redisPrefix,
      ONEMESSAGE_SECRET_KEY: env.secretKeyHex,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
    },
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The CSV, generated as it is sent: never whole in memory. */
function csvRows(rows: number): Readable {
  return Readable.from(
    (function* () {
      yield 'Phone,Name,Plan,City,Tags\n';
      for (let start = 0; start < rows; start += CHUNK_ROWS) {
        let chunk = '';
        for (let i = start; i < Math.min(rows, start + CHUNK_ROWS); i++) {
          // 201-555-01xx numbers are fictional in the US; +1 202 55x-xxxx keeps E.164 rows distinct.
          const phone =
            i % BAD_EVERY === 7
              ? 'n/a'
              : i % LOCAL_EVERY === 0
                ? `(212) ${String(200 + (Math.floor(i / 10_000) % 800)).padStart(3, '0')}-${String(i % 10_000).padStart(4, '0')}`
                : `+1202${String(i).padStart(7, '0')}`;
          chunk += `${phone},Person ${i},${i % 3 === 0 ? 'pro' : 'free'},${CITIES[i % CITIES.length]},"vip, batch-${i % 7}"\n`;
        }
        yield chunk;
      }
    })(),
  );
}

/**
 * The import bench (issue 20): a CSV of N rows (a tenth of them local numbers read in the US, one
 * in a thousand with a bad phone) is streamed to `POST /api/v1/contacts/imports` of the api role
 * running in this process; a process of its own imports it: the import queue's worker alone
 * (bench/support/import-worker.ts), or with --worker-role a whole `onemessage worker`. Rows/s runs
 * from the first byte sent to the import's completion. Peak RSS is that process's high-water mark
 * (VmHWM): the process that reads the file and writes the contacts.
 */
export async function runImportBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      rows: { type: 'string', default: '1000000' },
      'worker-role': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const rows = wholeNumberOption('rows', values.rows, USAGE, 1);
  const { env, stopListening } = await startBench(progress, ['api']);
  const worker = startWorker(env, values['worker-role']);
  try {
    const ws = await createWorkspace(env, 0);
    const options = encodeURIComponent(JSON.stringify({ defaultCountry: 'US', onExisting: 'update' }));
    // The worker is up once it has registered on the queue; its RSS then is the role's own baseline.
    await waitForWorkerReady(env.redis, env.redisPrefix);
    const baseRss = await procMb(worker.pid!, 'VmRSS');
    progress(`uploading ${rows} rows; worker RSS before: ${baseRss} MB; load ${loadAverage()}`);
    const started = performance.now();
    const res = await fetch(`${env.baseUrl}/api/v1/contacts/imports?options=${options}&fileName=bench.csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.token}`, 'content-type': 'text/csv' },
      body: Readable.toWeb(csvRows(rows)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const accepted = (await res.json()) as { id: string; error?: unknown };
    if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${JSON.stringify(accepted)}`);
    progress(`upload accepted in ${Math.round(performance.now() - started)} ms`);
    let last = '';
    let done: {
      status: string;
      rowsDone: number;
      rowsTotal: number;
      created: number;
      updated: number;
      failed: number;
      error: string | null;
    };
    for (;;) {
      const poll = await fetch(`${env.baseUrl}/api/v1/contacts/imports/${accepted.id}`, {
        headers: { authorization: `Bearer ${ws.token}` },
      });
      done = (await poll.json()) as typeof done;
      const line = `${done.status}: ${done.rowsDone}/${done.rowsTotal}`;
      if (line !== last && Math.round(performance.now() - started) % 5_000 < POLL_MS)
        progress(`${line}; worker RSS ${await procMb(worker.pid!, 'VmRSS')} MB`);
      last = line;
      if (done.status === 'completed' || done.status === 'failed') break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const ms = performance.now() - started;
    const peakMb = await procMb(worker.pid!, 'VmHWM');
    if (done.status !== 'completed') throw new Error(`import ${done.status}: ${done.error}`);
    const count = Number(
      (
        await testSql<{ n: string }>(env.orm.em.fork(), `select count(*) as n from contacts where workspace_id = :workspaceId`, {
          workspaceId: ws.workspaceId,
        })
      ).rows[0]!.n,
    );
    const expectedBad = Math.floor((rows - 8) / BAD_EVERY) + (rows > 7 ? 1 : 0);
    if (count !== rows - expectedBad || done.failed !== expectedBad)
      throw new Error(`expected ${rows - expectedBad} contacts and ${expectedBad} failed rows, found ${count} and ${done.failed}`);
    const rowsPerS = Math.round(rows / (ms / 1000));
    progress(
      `${rows} rows (${done.created} created, ${done.failed} refused) in ${Math.round(ms)} ms: ${rowsPerS} rows/s, peak RSS ${peakMb} MB; load ${loadAverage()}`,
    );
    progress(
      `targets: ≥ 20000 rows/s: ${rowsPerS >= 20_000 ? 'met' : 'MISSED'}; ≤ 300 MB RSS: ${peakMb <= 300 ? 'met' : 'MISSED'} (a shared machine makes figures noisy)`,
    );
    await stopWorker(worker);
    await env.cleanup();
    console.log(JSON.stringify({ bench: 'import', rows, rows_per_s: rowsPerS, peak_rss_mb: peakMb }));
  } finally {
    await stopWorker(worker);
    stopListening();
    await env.cleanup();
  }
}
