import { parseArgs } from 'node:util';
import type { RoleName } from '../platform/runtime/role-name.ts';
import type { RoleProcess } from '../test/support/process-cluster.ts';
import { loadAverage } from './support/bench-process.ts';
import { TIMER_QUEUE } from '../platform/automation/engine-queues.ts';
import { OVERDUE_GRACE_MS } from '../platform/automation/engine-reconciler.ts';
import { STALL_DETECTION_MS } from '../platform/queues/queue-factory.ts';
import { ENGINE_RECONCILE_INTERVAL_MS } from '../platform/runtime/worker.role.ts';
import { LOAD_KEYWORD, loadPhone, percentile, postWithRetries, startFaultCluster, type FaultCluster } from './support/fault-cluster.ts';

/*
 * `npm run chaos`: the product under faults, checked from the database afterwards (issue 21).
 * Own Redis and PostgreSQL on free ports, N worker and M connector processes, the two-reply flow
 * with a 2 s delay between the replies, load from many senders through the sandbox HTTP route
 * (each sender posts its messages one after the other, retrying by provider id), and faults on a
 * schedule: kill -9 of a random worker or connector every 5–10 s, a Redis restart that loses every
 * key, a PostgreSQL restart. Then: one run per accepted message, each reply exactly once, replies
 * in order per sender, nothing stuck, timer lateness, HTTP statuses by phase. The last line is
 * JSON; the exit code is 1 when a check failed. `--long` is the full run (500 senders,
 * 20,000 messages); the default is a short form of it.
 */

const USAGE = `npm run chaos -- [--long] [--senders N] [--per-sender N] [--workers 3] [--connectors 2] [--rate N]`;

/** A restart of Redis or PostgreSQL, until its lost timers are surely re-sent. */
interface Outage {
  from: Date;
  to: Date;
}
/** After a restart: the reconciler's grace and pass interval, and a second of margin. */
const OUTAGE_RECOVERY_MS = OVERDUE_GRACE_MS + ENGINE_RECONCILE_INTERVAL_MS + 1_000;
/** What issue 21 asks of a due timer while workers are killed: 1 s plus the stall detection. */
const ALLOWED_TIMER_LATE_MS = 1_000 + STALL_DETECTION_MS;

type Phase = 'steady' | 'kills' | 'redis_restart' | 'postgres_restart' | 'drain';

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      long: { type: 'boolean', default: false },
      senders: { type: 'string' },
      'per-sender': { type: 'string' },
      workers: { type: 'string', default: '3' },
      connectors: { type: 'string', default: '2' },
      rate: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const senders = Number(values.senders ?? (values.long ? 500 : 100));
  const perSender = Number(values['per-sender'] ?? (values.long ? 40 : 20));
  /** Messages per second over all senders (each sender paces itself). */
  const rate = Number(values.rate ?? (values.long ? 100 : 40));
  const workers = Number(values.workers);
  const connectors = Number(values.connectors);
  const progress = (line: string) => console.log(`[chaos] ${line}`);
  progress(
    `${senders} senders × ${perSender} messages at ~${rate}/s, ${workers} workers, ${connectors} connectors; load average ${loadAverage()}`,
  );

  const fc = await startFaultCluster({ workers, connectors, progress });
  process.once('SIGINT', () => void fc.cleanup().finally(() => process.exit(130)));
  try {
    return await run(fc, { senders, perSender, rate, workers, connectors, progress });
  } finally {
    await fc.cleanup();
  }
}

async function run(
  fc: FaultCluster,
  o: { senders: number; perSender: number; rate: number; workers: number; connectors: number; progress: (line: string) => void },
): Promise<number> {
  let phase: Phase = 'steady';
  const statusesByPhase: Record<string, Record<string, number>> = {};
  const record = (status: number) => {
    const byStatus = (statusesByPhase[phase] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  };
  const accepted: string[] = [];
  const refused: string[] = [];

  // Load: each sender posts its messages in order, each after the previous one was accepted.
  const pauseMs = Math.max(0, (o.senders / o.rate) * 1000);
  const loadStarted = Date.now();
  const load = Promise.all(
    Array.from({ length: o.senders }, async (_, s) => {
      await new Promise((r) => setTimeout(r, Math.random() * pauseMs));
      for (let k = 0; k < o.perSender; k++) {
        const id = `chaos-${s}-${k}`;
        const result = await postWithRetries(
          fc,
          { from: loadPhone(s), text: `${LOAD_KEYWORD} ${s} ${k}`, id },
          { deadlineMs: 120_000, onAttempt: record },
        );
        (result.accepted ? accepted : refused).push(id);
        await new Promise((r) => setTimeout(r, pauseMs * (0.5 + Math.random())));
      }
    }),
  );
  let loading = true;
  void load.finally(() => (loading = false));
  // Every 15 s: the timer queue and the runs past their due time, to see a backlog as it forms.
  const timers = fc.cluster.queue(TIMER_QUEUE);
  const watch = setInterval(() => {
    void Promise.all([
      timers.getJobCounts('wait', 'delayed', 'active', 'failed'),
      fc.cluster.sql<{ n: number; oldest: number | null }>(
        `select count(*)::int as n, extract(epoch from now() - min(due_at))::int as oldest from runs where status = 'waiting' and due_at < now()`,
      ),
    ])
      .then(([c, [overdue]]) =>
        o.progress(
          `${Math.round((Date.now() - loadStarted) / 1000)} s, ${phase}: timer jobs ${JSON.stringify(c)}; runs past due ${overdue!.n} (oldest ${overdue!.oldest ?? 0} s)`,
        ),
      )
      .catch(() => undefined);
  }, 15_000);
  void load.finally(() => clearInterval(watch));

  // Faults, on a schedule, while the load runs.
  const spawn = (role: RoleName) => fc.cluster.spawn(role, { LOG_LEVEL: 'info' });
  const kills: string[] = [];
  const outages: Outage[] = [];
  let redisRestarted = false;
  let postgresRestarted = false;
  await new Promise((r) => setTimeout(r, 5_000));
  phase = 'kills';
  // The restarts come at about a third and two thirds of the load's expected length (and after
  // it, should the load end first); kills go on as long as the load does.
  const expectedMs = ((o.senders * o.perSender) / o.rate) * 1000;
  while (loading || !redisRestarted || !postgresRestarted) {
    await new Promise((r) => setTimeout(r, 5_000 + Math.random() * 5_000));
    const elapsed = Date.now() - loadStarted;
    if (!redisRestarted && (elapsed > expectedMs / 3 || !loading)) {
      phase = 'redis_restart';
      o.progress(`Redis restart with data loss at ${Math.round(elapsed / 1000)} s`);
      const from = new Date();
      await fc.redis.kill();
      await new Promise((r) => setTimeout(r, 1_000));
      await fc.redis.start();
      redisRestarted = true;
      await new Promise((r) => setTimeout(r, 5_000));
      outages.push({ from, to: new Date(Date.now() + OUTAGE_RECOVERY_MS) });
      phase = 'kills';
      continue;
    }
    if (!postgresRestarted && (elapsed > (2 * expectedMs) / 3 || !loading)) {
      phase = 'postgres_restart';
      o.progress(`PostgreSQL restart at ${Math.round(elapsed / 1000)} s`);
      const from = new Date();
      await fc.pg.stop('fast');
      await new Promise((r) => setTimeout(r, 3_000));
      await fc.pg.start();
      postgresRestarted = true;
      await new Promise((r) => setTimeout(r, 5_000));
      outages.push({ from, to: new Date(Date.now() + OUTAGE_RECOVERY_MS) });
      phase = 'kills';
      continue;
    }
    // kill -9 of a random worker or connector that is surely running, keeping another of its role.
    const role: RoleName = Math.random() < o.workers / (o.workers + o.connectors) ? 'worker' : 'connector';
    const ready = fc.cluster.alive(role).filter((p: RoleProcess) => fc.cluster.isReady(p));
    if (ready.length >= 2) {
      const victim = ready[Math.floor(Math.random() * ready.length)]!;
      await fc.cluster.stop(victim, 'SIGKILL');
      kills.push(victim.role);
      spawn(role);
    }
  }
  await load;
  phase = 'drain';
  const loadSeconds = Math.round((Date.now() - loadStarted) / 1000);
  o.progress(
    `load done in ${loadSeconds} s: ${accepted.length} accepted, ${refused.length} refused; ${kills.length} kill -9 (${kills.filter((k) => k === 'worker').length} workers); waiting for the work to settle`,
  );
  for (const role of ['worker', 'connector'] as const)
    while (fc.cluster.alive(role).length < (role === 'worker' ? o.workers : o.connectors)) spawn(role);

  // Settle: every accepted message handled, no run waiting, no reply queued (or 5 minutes).
  const settleDeadline = Date.now() + 300_000;
  for (;;) {
    const [row] = await fc.cluster.sql<{ unhandled: number; waiting: number; queued: number }>(
      `select (select count(*) from messages where direction = 'inbound' and handled_at is null)::int as unhandled,
              (select count(*) from runs where status in ('waiting', 'running'))::int as waiting,
              (select count(*) from messages where direction = 'outbound' and status = 'queued')::int as queued`,
    );
    if ((row!.unhandled === 0 && row!.waiting === 0 && row!.queued === 0) || Date.now() > settleDeadline) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return check(fc, { accepted, refused, statusesByPhase, kills, outages, loadSeconds, progress: o.progress });
}

async function check(
  fc: FaultCluster,
  r: {
    accepted: string[];
    refused: string[];
    statusesByPhase: Record<string, Record<string, number>>;
    kills: string[];
    outages: Outage[];
    loadSeconds: number;
    progress: (line: string) => void;
  },
): Promise<number> {
  const sql = fc.cluster.sql.bind(fc.cluster);
  // Per accepted provider id: its message, its runs, its replies. Counted once per table and
  // joined by hash (a correlated count per message scanned every run: minutes for 20,000).
  const rows = await sql<{ pid: string; messageId: string | null; runs: number; first: number; second: number }>(
    `with runs_per_message as (select trigger ->> 'messageId' as message_id, count(*) as n from runs group by 1),
          replies as (select conversation_id, text, count(*) as n from messages where direction = 'outbound' group by 1, 2)
     select a.pid, m.id as "messageId", coalesce(r.n, 0)::int as runs, coalesce(f.n, 0)::int as first, coalesce(s.n, 0)::int as second
       from unnest($1::text[]) as a(pid)
       left join messages m on m.provider_message_id = a.pid and m.direction = 'inbound'
       left join runs_per_message r on r.message_id = m.id::text
       left join replies f on f.conversation_id = m.conversation_id and f.text = 'first ' || m.text
       left join replies s on s.conversation_id = m.conversation_id and s.text = 'second ' || m.text`,
    [r.accepted],
  );
  let lost = 0;
  let duplicated = 0;
  for (const row of rows) {
    if (!row.messageId || row.runs === 0 || row.first === 0 || row.second === 0) lost++;
    if (row.runs > 1 || row.first > 1 || row.second > 1) duplicated++;
  }
  // Order per sender: its replies (by id, the order they were recorded and sent) follow its message numbers.
  const replies = await sql<{ conversationId: string; text: string }>(
    `select conversation_id as "conversationId", text from messages where direction = 'outbound' order by id`,
  );
  const seen = new Map<string, { first: number; second: number }>();
  let outOfOrder = 0;
  const outOfOrderByKind = { first: 0, second: 0 };
  for (const reply of replies) {
    const m = /^(first|second) load (\d+) (\d+)$/.exec(reply.text ?? '');
    if (!m) continue;
    const kind = m[1] as 'first' | 'second';
    const k = Number(m[3]);
    const last = seen.get(reply.conversationId) ?? { first: -1, second: -1 };
    if (k < last[kind]) {
      outOfOrder++;
      outOfOrderByKind[kind]++;
    }
    last[kind] = Math.max(last[kind], k);
    seen.set(reply.conversationId, last);
  }
  const [stuckRow] = await sql<{ n: number }>(
    `select ((select count(*) from messages where direction = 'inbound' and handled_at is null)
           + (select count(*) from runs where status in ('waiting', 'running', 'failed'))
           + (select count(*) from messages where direction = 'outbound' and status = 'queued'))::int as n`,
  );
  // Timer lateness, apart for the timers due during a restart of Redis or PostgreSQL (or just
  // after it: the reconciler re-sends lost timers after OVERDUE_GRACE_MS and a pass interval).
  const timers = (
    await sql<{ dueAt: string; lateMs: number }>(
      `select waited.output ->> 'dueAt' as "dueAt", extract(epoch from (woke.started_at - (waited.output ->> 'dueAt')::timestamptz)) * 1000 as "lateMs"
         from run_steps waited join run_steps woke on woke.run_id = waited.run_id and woke.seq = waited.seq + 1
        where waited.node_id = 'pause' and waited.output ? 'dueAt'`,
    )
  ).map((x) => ({ due: new Date(x.dueAt).getTime(), lateMs: Number(x.lateMs) }));
  const duringOutage = (due: number) => r.outages.some((o) => due >= o.from.getTime() && due <= o.to.getTime());
  const late = timers
    .filter((t) => !duringOutage(t.due))
    .map((t) => t.lateMs)
    .sort((a, b) => a - b);
  const lateInOutages = timers
    .filter((t) => duringOutage(t.due))
    .map((t) => t.lateMs)
    .sort((a, b) => a - b);
  const timersOnTime = percentile(late, 99) <= ALLOWED_TIMER_LATE_MS;
  const receipts = await sql<{ status: string; n: number }>(
    `select status, count(*)::int as n from messages where direction = 'outbound' group by status order by status`,
  );
  let http5xxNot503 = 0;
  for (const byStatus of Object.values(r.statusesByPhase))
    for (const [status, n] of Object.entries(byStatus)) if (Number(status) >= 500 && status !== '503') http5xxNot503 += n;
  const stuck = stuckRow!.n;
  const ok =
    lost === 0 && duplicated === 0 && outOfOrder === 0 && stuck === 0 && http5xxNot503 === 0 && r.refused.length === 0 && timersOnTime;
  r.progress(`replies out of order: ${outOfOrderByKind.first} first replies, ${outOfOrderByKind.second} second replies (after the delay)`);
  r.progress(`HTTP statuses by phase: ${JSON.stringify(r.statusesByPhase)}`);
  r.progress(`outbound statuses (receipts lost with Redis's data stay sent/delivered): ${JSON.stringify(receipts)}`);
  r.progress(
    `timer lateness: p50 ${Math.round(percentile(late, 50))} ms, p90 ${Math.round(percentile(late, 90))} ms, p99 ${Math.round(percentile(late, 99))} ms (allowed ${ALLOWED_TIMER_LATE_MS}), max ${Math.round(late.at(-1) ?? 0)} ms over ${late.length} timers; ` +
      `${lateInOutages.length} timers due during a restart: p99 ${Math.round(percentile(lateInOutages, 99))} ms, max ${Math.round(lateInOutages.at(-1) ?? 0)} ms`,
  );
  console.log(
    JSON.stringify({
      chaos: ok ? 'passed' : 'failed',
      accepted: r.accepted.length,
      refused: r.refused.length,
      lost,
      duplicated,
      out_of_order: outOfOrder,
      stuck,
      timer_late_p50_ms: Math.round(percentile(late, 50)),
      timer_late_p99_ms: Math.round(percentile(late, 99)),
      timer_late_in_outages_max_ms: Math.round(lateInOutages.at(-1) ?? 0),
      http_5xx_not_503: http5xxNot503,
      kills: r.kills.length,
      load_seconds: r.loadSeconds,
    }),
  );
  return ok ? 0 : 1;
}

try {
  process.exit(await main());
} catch (err) {
  console.error(err);
  process.exit(1);
}
