import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { Queue } from 'bullmq';
import pg from 'pg';
import { validateFlow } from '../../engine/flows/validate-flow.ts';
import { dropDatabase } from '../../platform/db/ensure-database.ts';
import { FlowCache } from '../../platform/automation/flow-cache.ts';
import { newId } from '../../platform/ids.ts';
import { createRedis, deleteKeysMatching, type Redis } from '../../platform/redis.ts';
import type { RoleName } from '../../platform/runtime/role-name.ts';
import { ApiClient } from './api-client.ts';
import { cliEnv, collect, freePort, spawnCli, waitForStatus } from './cli-process.ts';
import { eventually } from './eventually.ts';

/** How long a role process may take to start (tsx compiles the tree on a 2-core machine). */
export const PROCESS_READY_MS = Number(process.env.TEST_PROCESS_READY_MS ?? 60_000);
/** A graceful shutdown ends within 10 s (SHUTDOWN_DEADLINE_MS); a little more for the exit itself. */
const PROCESS_EXIT_MS = 15_000;
/** The test's own pool stays small: six role processes already hold up to 10 connections each. */
const TEST_POOL_MAX = 3;

export interface RoleProcess {
  role: RoleName;
  child: ChildProcess;
  pid: number;
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited, with how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/**
 * Several `onemessage <role>` processes sharing one fresh database and one Redis prefix, as a
 * deployment would run them. The api process creates and migrates the database, so it starts
 * first; `cleanup` kills whatever is still alive, then drops the database and the keys.
 */
export class ProcessCluster {
  readonly env: NodeJS.ProcessEnv;
  readonly databaseUrl: string;
  readonly redisPrefix: string;
  private readonly processes = new Set<RoleProcess>();
  private pool: pg.Pool | undefined;
  private redisConn: Redis | undefined;
  private readonly queues = new Map<string, Queue>();
  // A test process that dies without running afterAll must not leave role processes behind.
  private readonly killOnExit = () => {
    for (const p of this.processes) if (isAlive(p)) p.child.kill('SIGKILL');
  };

  private constructor(
    env: NodeJS.ProcessEnv,
    databaseUrl: string,
    readonly baseUrl: string,
  ) {
    this.env = env;
    this.databaseUrl = databaseUrl;
    this.redisPrefix = env.REDIS_PREFIX!;
    process.once('exit', this.killOnExit);
  }

  /**
   * `services`: a PostgreSQL server (base URL, no database) and a Redis of the caller's own
   * (the chaos and soak scripts restart them); the shared test servers otherwise. `env`: more
   * settings for every process.
   */
  static async create(services: { pgBase?: string; redisUrl?: string; env?: Record<string, string> } = {}): Promise<ProcessCluster> {
    const port = await freePort();
    const { env, databaseUrl, id } = cliEnv({
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...(services.redisUrl ? { REDIS_URL: services.redisUrl } : {}),
      ...services.env,
    });
    if (!services.pgBase) return new ProcessCluster(env, databaseUrl, `http://127.0.0.1:${port}`);
    const ownUrl = `${services.pgBase}/om_cluster_${id}`;
    return new ProcessCluster({ ...env, DATABASE_URL: ownUrl }, ownUrl, `http://127.0.0.1:${port}`);
  }

  get client(): ApiClient {
    return new ApiClient(this.baseUrl);
  }

  /** Starts `onemessage <role>`; `env` overrides this process's environment only. */
  spawn(role: RoleName, env: Record<string, string> = {}): RoleProcess {
    const child = spawnCli([role], { ...this.env, ...env });
    const output = collect(child);
    const exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      at: Date.now(),
    }));
    const proc: RoleProcess = { role, child, pid: child.pid!, output, exited };
    this.processes.add(proc);
    return proc;
  }

  /** Starts the api process and waits until it answers /readyz (the database is then migrated). */
  async startApi(): Promise<RoleProcess> {
    const api = this.spawn('api');
    await waitForStatus(`${this.baseUrl}/readyz`, 200, PROCESS_READY_MS, api.child);
    return api;
  }

  /** Whether the process logged that it is ready (needs LOG_LEVEL info or lower for it). */
  isReady(proc: RoleProcess): boolean {
    return proc.output().stdout.includes('"msg":"ready (');
  }

  /** The role processes that have not exited. */
  alive(role?: RoleName): RoleProcess[] {
    return [...this.processes].filter((p) => isAlive(p) && (role === undefined || p.role === role));
  }

  /** Waits until `count` BullMQ workers (one per worker process) are connected to `queueName`. */
  async waitForQueueWorkers(queueName: string, count: number, timeoutMs = PROCESS_READY_MS): Promise<void> {
    const queue = this.queue(queueName);
    await eventually(async () => ((await queue.getWorkersCount()) >= count ? true : undefined), {
      timeoutMs,
      what: `${count} workers on ${queueName}`,
    });
  }

  /** Each process's warnings, errors and stderr (the last `maxLines` of each), to explain a failed test. */
  diagnostics(maxLines = 20): string {
    return [...this.processes]
      .map((p) => {
        const { stdout, stderr } = p.output();
        const problems = stdout.split('\n').filter((line) => /"level":(40|50|60)\b/.test(line));
        const lines = [...problems, ...stderr.split('\n').filter(Boolean)].slice(-maxLines);
        const state = isAlive(p) ? 'alive' : `exited ${p.child.exitCode ?? p.child.signalCode}`;
        return `--- ${p.role} ${p.pid} (${state})${lines.length ? '\n' + lines.join('\n') : ': nothing logged'}`;
      })
      .join('\n');
  }

  /** A BullMQ queue handle on this cluster's Redis prefix, for observing it. */
  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.redisPrefix });
      this.queues.set(name, q);
    }
    return q;
  }

  /** Sends `signal` and waits for the exit. */
  async stop(proc: RoleProcess, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
    if (isAlive(proc)) proc.child.kill(signal);
    return withTimeout(proc.exited, PROCESS_EXIT_MS, `${proc.role} process ${proc.pid} did not exit after ${signal}`);
  }

  /** A query against the cluster's database (it exists once the api process is ready). */
  async sql<T = Record<string, any>>(text: string, values: unknown[] = []): Promise<T[]> {
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.databaseUrl, max: TEST_POOL_MAX });
      // An idle connection ended by the server (a PostgreSQL restart in a fault test, the forced
      // drop at cleanup) is dropped from the pool; without a listener it would be an uncaught error.
      this.pool.on('error', () => undefined);
    }
    return (await this.pool.query(text, values)).rows as T[];
  }

  /**
   * Publishes a flow straight into the database (validated as the API would) and bumps the
   * workspace's flow generation, as publishing through the API does, so that every worker sees it.
   */
  async publishFlow(workspaceId: string, document: unknown, name: string): Promise<{ flowId: string; versionId: string }> {
    const validation = validateFlow(document);
    if (!validation.ok) throw new Error(`invalid test flow: ${JSON.stringify(validation.problems)}`);
    const flowId = newId();
    const versionId = newId();
    await this.sql(`insert into flows (id, workspace_id, name, draft, active, published_version) values ($1, $2, $3, $4::jsonb, true, 1)`, [
      flowId,
      workspaceId,
      name,
      JSON.stringify(document),
    ]);
    await this.sql(`insert into flow_versions (id, workspace_id, flow_id, version, document) values ($1, $2, $3, 1, $4::jsonb)`, [
      versionId,
      workspaceId,
      flowId,
      JSON.stringify(validation.flow),
    ]);
    await new FlowCache({ redis: this.redis, prefix: this.redisPrefix, buildIndex: () => null }).invalidate(workspaceId);
    return { flowId, versionId };
  }

  /** Kills every process still alive, then drops the database, the Redis keys and the data dir. */
  async cleanup(): Promise<void> {
    const alive = this.alive();
    for (const p of alive) p.child.kill('SIGKILL');
    await Promise.all(alive.map((p) => p.exited));
    process.removeListener('exit', this.killOnExit);
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    await this.pool?.end().catch(() => undefined);
    await dropDatabase(this.databaseUrl);
    await deleteKeysMatching(this.redis, `${this.redisPrefix}:*`);
    this.redis.disconnect();
    if (this.env.ONEMESSAGE_DATA_DIR) await rm(this.env.ONEMESSAGE_DATA_DIR, { recursive: true, force: true });
  }

  private get redis(): Redis {
    this.redisConn ??= createRedis(this.env.REDIS_URL!);
    return this.redisConn;
  }
}

function isAlive(p: RoleProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
