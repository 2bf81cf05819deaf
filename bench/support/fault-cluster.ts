import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { doc, edge, keywordTrigger, node } from '../../engine/flows/flow-document.fixture.ts';
import { INBOX_QUEUE, TIMER_QUEUE } from '../../platform/automation/engine-queues.ts';
import { sendQueueName } from '../../platform/pipeline/send-job.ts';
import type { ApiClient } from '../../test/support/api-client.ts';
import { startOwnPostgres, startOwnRedis, type OwnPostgres, type OwnRedis } from '../../test/support/own-services.ts';
import { ProcessCluster, type RoleProcess } from '../../test/support/process-cluster.ts';

/** The keyword every message of the chaos and soak loads starts with. */
export const LOAD_KEYWORD = 'load';
/** The delay between the two replies of the load flow. */
export const LOAD_DELAY_S = 2;
export const METRICS_TOKEN = 'fault-cluster-metrics-token';

/**
 * The product as a deployment runs it, on servers of its own: a PostgreSQL cluster
 * (`pg_createcluster`, dropped at the end) and a `redis-server` on free ports, one api process,
 * N worker and M connector processes. The chaos run kills and restarts all of them; the soak
 * samples them.
 */
export interface FaultCluster {
  pg: OwnPostgres;
  redis: OwnRedis;
  cluster: ProcessCluster;
  workspaceId: string;
  owner: ApiClient;
  channelId: string;
  /** Posts one message to the channel's sandbox inbound route as the owner; answers the status (see InboundPoster). */
  postInbound: InboundPoster;
  cleanup(): Promise<void>;
}

export type InboundPoster = (msg: { from: string; text: string; id: string }) => Promise<number>;

/** Connections the load keeps open to the api process: a provider's webhook sender holds a pool, not a socket per message. */
const LOAD_SOCKETS = 64;

/*
 * The load's own HTTP client: node:http with keep-alive connections, and no more of them than a
 * sender would open. `fetch` cost the load generator as much CPU per message as the api process
 * spent answering it (soak profiles), and opened a connection per message in flight (up to
 * 2,000): the load generator shares the machine with the product, so what it costs is capacity
 * the product does not have.
 */
function inboundPoster(baseUrl: string, token: string, channelId: string): { post: InboundPoster; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: LOAD_SOCKETS });
  const url = new URL(`/api/v1/channels/${channelId}/sandbox/inbound`, baseUrl);
  const post: InboundPoster = (msg) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ from: msg.from, text: msg.text, id: msg.id, name: 'Load' });
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

/**
 * The flow the load meets: `two-replies` (a first reply, a 2 s delay, a second reply naming the
 * message: three outbound operations per message, with a timer, as the chaos run needs) or
 * `echo` (one reply per message, as most auto-replies are).
 */
export type LoadFlow = 'two-replies' | 'echo';

export async function startFaultCluster(opts: {
  workers: number;
  connectors: number;
  progress: (line: string) => void;
  nodeOptions?: string;
  env?: Record<string, string>;
  flow?: LoadFlow;
}): Promise<FaultCluster> {
  const pg = await startOwnPostgres(process.env.FAULT_CLUSTER_NAME ?? 'om_chaos', { maxConnections: 300 });
  let redis: OwnRedis | undefined;
  let cluster: ProcessCluster | undefined;
  let poster: ReturnType<typeof inboundPoster> | undefined;
  const cleanup = async () => {
    poster?.close();
    await cluster?.cleanup().catch((err: unknown) => opts.progress(`cleanup: ${String(err)}`));
    await redis?.kill();
    await pg.drop();
  };
  try {
    redis = await startOwnRedis();
    opts.progress(`own PostgreSQL on ${pg.port}, own Redis on ${redis.port}`);
    cluster = await ProcessCluster.create({
      pgBase: pg.baseUrl,
      redisUrl: redis.url,
      env: { METRICS_TOKEN, ...opts.env, ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}) },
    });
    await cluster.startApi();
    // Info level: the "ready" line tells the chaos schedule which processes are running.
    for (let i = 0; i < opts.connectors; i++) cluster.spawn('connector', { LOG_LEVEL: 'info' });
    for (let i = 0; i < opts.workers; i++) cluster.spawn('worker', { LOG_LEVEL: 'info' });
    await cluster.waitForQueueWorkers(INBOX_QUEUE, opts.workers);
    await cluster.waitForQueueWorkers(TIMER_QUEUE, opts.workers);
    const signup = await cluster.client.post('/api/v1/auth/signup', {
      email: 'load@example.com',
      password: 'password-123',
      name: 'Owner',
      workspaceName: 'Load',
    });
    if (signup.status !== 201) throw new Error(`signup answered ${signup.status}`);
    const owner = cluster.client.as(signup.body.token);
    const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Load' });
    await cluster.waitForQueueWorkers(sendQueueName(channel.body.id), opts.connectors);
    await cluster.publishFlow(signup.body.workspace.id, loadFlow(opts.flow ?? 'two-replies'), 'load');
    poster = inboundPoster(cluster.baseUrl, signup.body.token, channel.body.id);
    return {
      pg,
      redis,
      cluster,
      workspaceId: signup.body.workspace.id,
      owner,
      channelId: channel.body.id,
      postInbound: poster.post,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function loadFlow(flow: LoadFlow) {
  const trigger = keywordTrigger('t', [LOAD_KEYWORD], 'starts_with');
  if (flow === 'echo')
    return doc([trigger, node('first', 'send_message', { text: 'first {{message.text}}' })], [edge('t', 'out', 'first')]);
  return doc(
    [
      trigger,
      node('first', 'send_message', { text: 'first {{message.text}}' }),
      node('pause', 'delay', { mode: 'duration', duration: { amount: LOAD_DELAY_S, unit: 'seconds' } }),
      node('second', 'send_message', { text: 'second {{message.text}}' }),
    ],
    [edge('t', 'out', 'first'), edge('first', 'out', 'pause'), edge('pause', 'out', 'second')],
  );
}

/** Resident memory of a process (bytes), from /proc; null once it exited. */
export async function rssOf(proc: RoleProcess): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${proc.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

/** The phone of sender `i` of the load. */
export function loadPhone(i: number): string {
  return `+1555${String(7_000_000 + i).padStart(7, '0')}`;
}

export interface PostOutcome {
  /** Statuses of every attempt, in order. */
  statuses: number[];
  accepted: boolean;
  /** Until the 202 (or the last attempt). */
  latencyMs: number;
}

/**
 * Posts one inbound message with its provider id (`id`), retrying until a 202 as a provider
 * would: on 5xx, on a network error, with a short backoff. The provider id makes a retry of a
 * message that was in fact stored a duplicate, not a second message.
 */
export async function postWithRetries(
  fc: Pick<FaultCluster, 'postInbound'>,
  msg: { from: string; text: string; id: string },
  opts: { deadlineMs: number; onAttempt?: (status: number) => void },
): Promise<PostOutcome> {
  const started = Date.now();
  const statuses: number[] = [];
  for (let attempt = 0; ; attempt++) {
    let status: number;
    try {
      status = await fc.postInbound(msg);
    } catch {
      status = 0; // connection refused or reset
    }
    statuses.push(status);
    opts.onAttempt?.(status);
    if (status === 202) return { statuses, accepted: true, latencyMs: Date.now() - started };
    if ((status !== 0 && status < 500) || Date.now() - started > opts.deadlineMs)
      return { statuses, accepted: false, latencyMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** Math.min(attempt, 4))));
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}
