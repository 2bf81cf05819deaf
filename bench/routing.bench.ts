import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dropDatabase, ensureDatabase } from '../platform/db/ensure-database.ts';
import { migrateUp } from '../platform/db/migrate.ts';
import { openOrm, type Orm } from '../platform/db/orm.ts';
import { InboxBus } from '../platform/inbox/inbox-bus.ts';
import { createLogger } from '../platform/logger.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from '../test/support/test-sql.ts';
import { createRedis, deleteKeysMatching, type Redis } from '../platform/redis.ts';
import { BENCH_PG_BASE, BENCH_REDIS_URL } from './support/bench-env.ts';
import { loadAverage, wholeNumberOption } from './support/bench-process.ts';
import { cpuPerMessage, cpuSnapshot, type CpuSnapshot } from './support/cpu-usage.ts';
import { processCpuMs } from './support/process-cpu.ts';
import { percentile } from './support/percentiles.ts';

const USAGE =
  'usage: npm run bench -- routing [--conversations 10000] [--teams 5] [--agents 200] [--capacity 5] [--workers 4] [--think-ms 5]';
const WORKER_FILE = fileURLToPath(new URL('./support/routing-worker.ts', import.meta.url));
const CPU_PROFILE_HOOK = fileURLToPath(new URL('./support/cpu-profile.hook.mjs', import.meta.url));
const RUN_TIMEOUT_MS = 10 * 60_000;

function options(args: string[]): {
  conversations: number;
  teams: number;
  agents: number;
  capacity: number;
  workers: number;
  thinkMs: number;
} {
  const o = { conversations: 10_000, teams: 5, agents: 200, capacity: 5, workers: 4, thinkMs: 5 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, raw] = [args[i]!, args[i + 1] ?? ''];
    const key = {
      '--conversations': 'conversations',
      '--teams': 'teams',
      '--agents': 'agents',
      '--capacity': 'capacity',
      '--workers': 'workers',
      '--think-ms': 'thinkMs',
    }[flag] as keyof typeof o | undefined;
    if (!key) throw new Error(`unknown option ${flag}\n${USAGE}`);
    o[key] = wholeNumberOption(flag.slice(2), raw, USAGE, key === 'thinkMs' ? 0 : 1);
  }
  return o;
}

/**
 * `npm run bench -- routing`: N conversations queued at once over T teams, A agents of capacity C
 * spread over W worker processes (bench/support/routing-worker.ts: the inbox assigner, and agents
 * who resolve each conversation within `think-ms` of getting it). Measures the assignments per
 * second, how long a freed slot waits for its next conversation (resolve event → next assignment
 * event of that agent, both stamped by PostgreSQL's clock), and checks from the event log that
 * no agent was ever over capacity and no conversation was assigned twice.
 */
export async function runRoutingBench(args: string[]): Promise<void> {
  const o = options(args);
  const progress = (line: string) => console.error(`[routing] ${line}`);
  progress(`load average at start: ${loadAverage()}`);
  const id = randomBytes(5).toString('hex');
  const databaseUrl = `${BENCH_PG_BASE}/om_bench_${id}`;
  const prefix = `ombench:${id}`;
  await ensureDatabase(databaseUrl);
  const orm = await openOrm(databaseUrl, { poolMax: 4 });
  const redis = createRedis(BENCH_REDIS_URL);
  const children: ChildProcess[] = [];
  try {
    await migrateUp(orm);
    const em = orm.em.fork();
    const workspaceId = crypto.randomUUID();
    const channelId = crypto.randomUUID();
    await runSql(em, `insert into workspaces (id, name) values (:workspaceId, 'Routing bench')`, { workspaceId });
    await runSql(
      em,
      `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'bench', 'connected')`,
      { channelId, workspaceId },
    );
    const { rows: agentRows } = await testSql<{ id: string }>(
      em,
      `with u as (insert into users (id, email, name, password_hash) select gen_random_uuid(), 'agent' || i || '@bench.local', 'Agent ' || i, 'x' from generate_series(1, :agents) i returning id)
       insert into memberships (id, workspace_id, user_id, role) select gen_random_uuid(), :workspaceId, u.id, 'agent' from u returning user_id as id`,
      { agents: o.agents, workspaceId },
    );
    const agentIds = agentRows.map((r) => r.id);
    const teamIds: string[] = [];
    for (let t = 0; t < o.teams; t++) {
      const teamId = crypto.randomUUID();
      teamIds.push(teamId);
      await runSql(
        em,
        `insert into teams (id, workspace_id, name, strategy, default_capacity) values (:teamId, :workspaceId, :name, :strategy, :capacity)`,
        { teamId, workspaceId, name: `Team ${t}`, strategy: t % 2 === 0 ? 'round_robin' : 'least_busy', capacity: o.capacity },
      );
      const members = agentIds.filter((_, i) => i % o.teams === t);
      await runSql(
        em,
        `insert into team_members (team_id, workspace_id, user_id) select :teamId, :workspaceId, unnest(cast(:members as uuid[]))`,
        { teamId, workspaceId, members },
      );
    }
    await runSql(
      em,
      `insert into agent_status (workspace_id, user_id, availability, last_seen_at) select :workspaceId, unnest(cast(:agentIds as uuid[])), 'online', now()`,
      { workspaceId, agentIds },
    );
    await runSql(
      em,
      `with c as (insert into contacts (id, workspace_id, phone) select gen_random_uuid(), :workspaceId, '+1555' || lpad(i::text, 7, '0') from generate_series(1, :n) i returning id, phone)
       insert into conversations (id, workspace_id, channel_id, contact_id, state, status, bot_paused, team_id, queued_at)
       select gen_random_uuid(), :workspaceId, :channelId, c.id, 'queued', 'pending', true,
              (cast(:teamIds as uuid[]))[1 + (substr(c.phone, 5)::int % :teams)], now() - interval '1 hour' + substr(c.phone, 5)::int * interval '1 millisecond'
         from c`,
      { workspaceId, channelId, n: o.conversations, teamIds, teams: o.teams },
    );
    await runSql(em, `analyze`);
    progress(
      `${o.conversations} conversations queued over ${o.teams} teams; ${o.agents} agents of capacity ${o.capacity}; starting ${o.workers} worker processes`,
    );

    for (let w = 0; w < o.workers; w++) {
      const mine = agentIds.filter((_, i) => i % o.workers === w);
      // CPU_PROFILE_DIR: each worker process writes a CPU profile of the measured phase, "workers ready" to its exit (cpu-profile.hook.mjs).
      const profile = process.env.CPU_PROFILE_DIR ? ['--import', CPU_PROFILE_HOOK] : [];
      const child = spawn(process.execPath, ['--import', 'tsx', ...profile, WORKER_FILE], {
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          REDIS_URL: BENCH_REDIS_URL,
          REDIS_PREFIX: prefix,
          BENCH_WORKSPACE_ID: workspaceId,
          BENCH_AGENT_IDS: mine.join(','),
          BENCH_THINK_MS: String(o.thinkMs),
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
          CPU_PROFILE_ON_SIGNAL: '1',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
    }
    await Promise.all(children.map((c) => waitForLine(c, 'ready')));
    progress('workers ready; agents come online (every process hears the kicks)');
    const bus = new InboxBus({ redis, prefix, logger: createLogger('warn') });
    const cpuBefore = await routingCpu(orm, redis, `om_bench_${id}`, children);
    if (process.env.CPU_PROFILE_DIR) for (const c of children) c.kill('SIGUSR2');
    const started = Date.now();
    await bus.publishKicks(teamIds);
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const { rows } = await testSql<{ resolved: number; assigned: number }>(
        em,
        `select count(*) filter (where state = 'resolved')::int as resolved, count(*) filter (where state = 'assigned')::int as assigned from conversations where workspace_id = :workspaceId`,
        { workspaceId },
      );
      progress(
        `${((Date.now() - started) / 1000).toFixed(1)} s: ${rows[0]!.resolved} resolved, ${rows[0]!.assigned} assigned now; load ${loadAverage()}`,
      );
      if (rows[0]!.resolved >= o.conversations) break;
      if (Date.now() - started > RUN_TIMEOUT_MS) throw new Error('the routing bench did not finish in 10 minutes');
    }
    const cpu = cpuPerResolve(cpuBefore, await routingCpu(orm, redis, `om_bench_${id}`, children), o.conversations);
    progress(
      `CPU per resolve: worker processes ${cpu.workersMs} ms, PostgreSQL ${cpu.postgresMs} ms, Redis ${cpu.redisMs} ms (shared with anything else using it), bench ${cpu.nodeMs} ms; total ${cpu.totalMs} ms; load ${loadAverage()}`,
    );
    // What became of each freed slot, as each process's resolves answered (the causes of a slot left to a pass).
    const reports = await Promise.all(children.map((c) => stopWorker(c)));
    const outcomes: Record<string, number> = {};
    for (const r of reports) for (const [k, n] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
    progress(
      `freed slots by outcome: ${JSON.stringify(outcomes)}; agents' resolves failed ${reports.reduce((n, r) => n + r.failures, 0)}, conversations found by the agents' reload (no live event within a reload period) ${reports.reduce((n, r) => n + r.reloaded, 0)}`,
    );

    const { rows: span } = await testSql<{ n: number; seconds: number }>(
      em,
      `select count(*)::int as n, extract(epoch from max(created_at) - min(created_at))::float8 as seconds from conversation_events where workspace_id = :workspaceId and to_state = 'assigned'`,
      { workspaceId },
    );
    // For each freed slot (a resolve of an assigned conversation), the agent's next assignment:
    // the first assignment event after it in the agent's lock order (seq).
    const { rows: waits } = await testSql<{ ms: number }>(
      em,
      `with ev as (
         select seq, created_at, to_state, case when to_state = 'assigned' then to_assignee_user_id else from_assignee_user_id end as agent
           from conversation_events where workspace_id = :workspaceId and (to_state = 'assigned' or from_state = 'assigned')
       ), nexts as (
         select to_state, created_at,
                min(case when to_state = 'assigned' then created_at end) over (partition by agent order by seq rows between 1 following and unbounded following) as next_assigned
           from ev
       )
       select extract(epoch from next_assigned - created_at)::float8 * 1000 as ms from nexts where to_state = 'resolved' and next_assigned is not null`,
      { workspaceId },
    );
    const { rows: over } = await testSql<{ n: number }>(
      em,
      `select count(*)::int as n from (
         select sum(delta) over (partition by agent order by seq) as load from (
           select seq, to_assignee_user_id as agent, 1 as delta from conversation_events where workspace_id = :workspaceId and to_state = 'assigned'
           union all
           select seq, from_assignee_user_id, -1 from conversation_events where workspace_id = :workspaceId and from_state = 'assigned'
         ) d
       ) l where load > :capacity`,
      { workspaceId, capacity: o.capacity },
    );
    const { rows: twice } = await testSql<{ n: number }>(
      em,
      `select count(*)::int as n from (select conversation_id from conversation_events where workspace_id = :workspaceId and to_state = 'assigned' group by conversation_id having count(*) > 1) d`,
      { workspaceId },
    );
    const { rows: byProcess } = await testSql<{ n: number }>(
      em,
      `select count(*)::int as n from conversation_events where workspace_id = :workspaceId and to_state = 'assigned' group by detail->>'process' order by 1 desc`,
      { workspaceId },
    );
    // Which path assigned: a resolve refilling its own slot, or an assignment pass (arrivals, a resolve that could not refill).
    const { rows: byPath } = await testSql<{ refills: number; passes: number }>(
      em,
      `select count(*) filter (where reason like '%(a slot freed)')::int as refills, count(*) filter (where reason not like '%(a slot freed)')::int as passes from conversation_events where workspace_id = :workspaceId and to_state = 'assigned'`,
      { workspaceId },
    );
    // How many transactions the resolves took (the resolves of a process that arrive together share one: Inbox.resolve).
    const { rows: resolveTx } = await testSql<{ n: number }>(
      em,
      `select count(distinct xmin::text)::int as n from conversation_events where workspace_id = :workspaceId and to_state = 'resolved'`,
      { workspaceId },
    );
    progress(
      `${o.conversations} resolves in ${resolveTx[0]!.n} transactions (${(o.conversations / Math.max(resolveTx[0]!.n, 1)).toFixed(1)} resolves each on average)`,
    );
    const sorted = waits.map((w) => w.ms).sort((a, b) => a - b);
    progress(
      `assignments per worker process: ${byProcess.map((p) => p.n).join(', ')}; by a resolve refilling its slot ${byPath[0]!.refills}, by assignment passes ${byPath[0]!.passes}; free→assign p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms over ${sorted.length} freed slots; load ${loadAverage()}`,
    );
    console.log(
      JSON.stringify({
        bench: 'routing',
        assigned: span[0]!.n,
        assign_per_s: Math.round(span[0]!.n / Math.max(span[0]!.seconds, 0.001)),
        free_to_assign_p99_ms: Math.round(percentile(sorted, 99) * 10) / 10,
        over_capacity: over[0]!.n,
        double_assigned: twice[0]!.n,
      }),
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
    await orm.close();
    await dropDatabase(databaseUrl);
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  }
}

/** CPU used so far by the bench, its worker processes, the bench database's PostgreSQL backends and Redis. */
async function routingCpu(
  orm: Orm,
  redis: Redis,
  database: string,
  children: ChildProcess[],
): Promise<CpuSnapshot & { workersMs: number }> {
  const workers = await Promise.all(children.map((c) => processCpuMs(c.pid!)));
  return { ...(await cpuSnapshot(orm, redis, database)), workersMs: workers.reduce<number>((a, b) => a + (b ?? 0), 0) };
}

/**
 * CPU ms per resolve (each conversation is resolved once) from "workers ready" to the last resolve:
 * the figure that bounds the rate on a 2-core machine, and moves much less with the load than the rate.
 */
function cpuPerResolve(
  before: CpuSnapshot & { workersMs: number },
  after: CpuSnapshot & { workersMs: number },
  resolves: number,
): CpuSnapshot & { workersMs: number; totalMs: number } {
  const per = cpuPerMessage(before, after, resolves);
  const workersMs = Math.round(((after.workersMs - before.workersMs) / resolves) * 100) / 100;
  const totalMs = Math.round((workersMs + per.nodeMs + per.postgresMs + per.redisMs) * 100) / 100;
  return { ...per, workersMs, totalMs };
}

interface WorkerReport {
  failures: number;
  reloaded: number;
  outcomes: Record<string, number>;
}

/** Stops a worker process and reads its last line (`stopped {...}`). */
async function stopWorker(child: ChildProcess): Promise<WorkerReport> {
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => (buffer += chunk.toString()));
  const exited = once(child, 'close'); // after its stdout ended, unlike 'exit'
  child.kill('SIGTERM');
  await exited;
  const line = buffer.split('\n').find((l) => l.startsWith('stopped '));
  return line ? (JSON.parse(line.slice('stopped '.length)) as WorkerReport) : { failures: 0, reloaded: 0, outcomes: {} };
}

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.split('\n').includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`a routing worker exited (${code}) before it was ready`)));
  });
}
