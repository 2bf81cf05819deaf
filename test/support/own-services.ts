import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually.ts';

/** Waits until a redis-server child says it accepts connections; fails with its output if it exits or takes over 10 s. */
async function redisReady(child: ChildProcess, port: number, output: () => string): Promise<void> {
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited: ${output()}`);
      return /Ready to accept connections/.test(output()) ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 20, what: `redis-server on ${port} to start`, progress: output },
  );
}

const run = promisify(execFile);

/**
 * PostgreSQL and Redis servers of a test's own, for tests that stop, restart or kill them (the
 * shared ones are never touched). Ports: `TEST_SERVICE_PORTS=first-last` restricts them to a
 * range (a shared machine hands each user one); otherwise the system picks a free one.
 */
export async function freeServicePort(): Promise<number> {
  const range = process.env.TEST_SERVICE_PORTS?.match(/^(\d+)-(\d+)$/);
  if (!range) return listenOn(0);
  const [first, last] = [Number(range[1]), Number(range[2])];
  const start = first + Math.floor(Math.random() * (last - first + 1));
  for (let i = 0; i <= last - first; i++) {
    const port = first + ((start - first + i) % (last - first + 1));
    try {
      return await listenOn(port);
    } catch {
      // taken: try the next one
    }
  }
  throw new Error(`no free port in ${process.env.TEST_SERVICE_PORTS}`);
}

async function listenOn(port: number): Promise<number> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  const got = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return got;
}

export interface OwnPostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>` (trust authentication, loopback only). */
  baseUrl: string;
  /** Stops the server (`fast`: clients are disconnected with "terminating connection due to administrator command"). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops and removes the cluster with its data. */
  drop(): Promise<void>;
}

/**
 * A PostgreSQL 15 cluster of its own (`pg_createcluster`, needs root or the postgres user),
 * named `<namePrefix>_<random>`, with fsync off (test data only).
 */
export async function startOwnPostgres(namePrefix = 'om_test', opts: { maxConnections?: number } = {}): Promise<OwnPostgres> {
  const port = await freeServicePort();
  const name = `${namePrefix}_${randomBytes(4).toString('hex')}`;
  const settings = [`max_connections=${opts.maxConnections ?? 200}`, 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];
  await run('pg_createcluster', ['15', name, '-p', String(port), ...settings.flatMap((s) => ['-o', s]), '--', '--auth=trust', '--no-sync']);
  const ctl = (action: string, ...extra: string[]) => run('pg_ctlcluster', ['15', name, action, ...extra]);
  try {
    await ctl('start');
  } catch (err) {
    await run('pg_dropcluster', ['--stop', '15', name]).catch(() => undefined);
    throw err;
  }
  return {
    port,
    baseUrl: `postgres://postgres@127.0.0.1:${port}`,
    stop: async (mode = 'fast') => void (await ctl('stop', '-m', mode)),
    start: async () => void (await ctl('start')),
    drop: async () => void (await run('pg_dropcluster', ['--stop', '15', name])),
  };
}

export interface OwnRedis {
  port: number;
  url: string;
  /** Kills the server without saving: every key is lost, as after a crash with no persistence. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

/** A `redis-server` of its own with no persistence. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freeServicePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await redisReady(child, port, () => out);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    start,
  };
}

export interface OwnPgBouncer {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>`: every database of the server behind it. */
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * A PgBouncer of its own in transaction pooling mode, in front of the PostgreSQL at `target`
 * (trust authentication, loopback only), with `poolSize` server connections per database:
 * small, so that statements of one client land on connections another client used.
 * PgBouncer refuses to run as root: it runs as the postgres user.
 */
export async function startOwnPgBouncer(target: { host: string; port: number }, opts: { poolSize?: number } = {}): Promise<OwnPgBouncer> {
  const port = await freeServicePort();
  const dir = await mkdtemp(join(tmpdir(), 'om-pgbouncer-'));
  const ini = [
    '[databases]',
    `* = host=${target.host} port=${target.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    `unix_socket_dir = ${dir}`,
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${opts.poolSize ?? 4}`,
    'max_client_conn = 500',
    'ignore_startup_parameters = extra_float_digits,options',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
  ].join('\n');
  await writeFile(join(dir, 'pgbouncer.ini'), ini + '\n');
  await writeFile(join(dir, 'users.txt'), '"postgres" ""\n');
  await run('chown', ['-R', 'postgres', dir]);
  await run('runuser', ['-u', 'postgres', '--', 'pgbouncer', '-d', join(dir, 'pgbouncer.ini')]);
  await eventually(
    async () => {
      try {
        await listenOn(port);
      } catch {
        return true; // taken: PgBouncer listens
      }
      return undefined;
    },
    {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: `pgbouncer to listen on ${port}`,
      progress: () => readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => ''),
    },
  );
  return {
    port,
    baseUrl: `postgres://postgres@127.0.0.1:${port}`,
    async stop() {
      const pid = Number((await readFile(join(dir, 'pgbouncer.pid'), 'utf8').catch(() => '')).trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface OwnRedisCluster {
  ports: number[];
  /** `redis+cluster://127.0.0.1:<first port>`: the product's REDIS_URL for it. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of its own: `masters` servers on loopback ports (each with a cluster bus port
 * of its own), slots spread over them by `redis-cli --cluster create`, no replicas, no persistence.
 */
export async function startOwnRedisCluster(masters = 3): Promise<OwnRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'om-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const [port, busPort] = [await freeServicePort(), await freeServicePort()];
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--cluster-port',
          String(busPort),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await redisReady(child, port, () => out);
      ports.push(port);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      let last = '';
      await eventually(
        async () => {
          last = (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout;
          return /cluster_state:ok/.test(last) ? true : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: `the cluster on ${ports.join(', ')} to be ok`, progress: () => last },
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, url: `redis+cluster://127.0.0.1:${ports[0]}`, stop };
}
