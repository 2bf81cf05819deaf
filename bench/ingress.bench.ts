import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../engine/clock.ts';
import { createLogger } from '../platform/logger.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { PhaseRunner } from './engine.bench.ts';
import { loadAverage, startBench, wholeNumberOption } from './support/bench-process.ts';
import type { BenchEnv } from './support/bench-env.ts';
import { cpuPerMessage, cpuSnapshot } from './support/cpu-usage.ts';
import { BENCH_KEYWORD, createWorkspace, postJson, publishBenchFlow, type BenchWorkspace } from './support/engine-fixture.ts';
import type { IngressLoadResult, IngressLoadSpec } from './support/ingress-load.ts';
import { formatSummary, summarise } from './support/percentiles.ts';
import { processCpuMs } from './support/process-cpu.ts';
import { readPhaseTimings } from './support/phase-timings.ts';
import { ReplyCounter } from './support/reply-counter.ts';
import { settleWrites, vacuumAnalyze } from './support/settle-writes.ts';

const USAGE = `npm run bench -- ingress [options]
  --connections N       HTTP connections posting at once (50)
  --messages N          messages per HTTP route (10000)
  --engine-messages N   messages of the in-process engine closed loop, run before and after the HTTP
                        closed loops (their mean is the reference) (10000)
  --warmup N            messages over HTTP before anything is measured (1000)
  --routes LIST         sandbox,webhook (both)
  --rate N              open loop after the closed ones: arrivals per second per route (200; 0 skips it)
  --seconds N           open-loop duration per route (15)
  --unsettled           skip the CHECKPOINT before each open loop (as before session 15): the closed
                        loops' data files then reach the disk during the open loops`;

const LOAD_FILE = fileURLToPath(new URL('./support/ingress-load.ts', import.meta.url));
const RECEIVER_FILE = fileURLToPath(new URL('./support/webhook-receiver.ts', import.meta.url));
/** No reply for this long: the product is stuck and the bench fails rather than hang. */
const STALL_MS = 30_000;

function progress(line: string): void {
  console.log(`[bench ingress] ${line}`);
}

type Route = 'sandbox' | 'webhook';

/** What one HTTP phase measured. */
interface RouteFigures {
  accepted_per_s: number;
  http_p99_ms: number;
  reply_p99_ms: number;
  /**
   * Replies sent per second, first accept to last reply: the rate the product keeps up with. In
   * the closed loop the api may accept faster than the engine answers (the backlog is what
   * reply_p99_ms measures), so accepted_per_s alone overstates it.
   */
  answered_per_s: number;
}

/** CPU per message of one HTTP phase, ms: on the product's side (its process, PostgreSQL, Redis), and on the senders' (load generator, reply receiver). */
interface RouteCost {
  serverMs: number;
  sendersMs: number;
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Every process of this bench shares one machine's cores, and each phase keeps them busy: so
 * the accepted rate over the engine's is about the engine's CPU per message over the route's,
 * senders' included. Printed so that a run shows how far a target is from what the machine allows.
 */
function costLine(route: Route, cost: RouteCost, engineMs: number): string {
  const all = cost.serverMs + cost.sendersMs;
  return (
    `CPU per message (${route}): product, PostgreSQL and Redis ${round2(cost.serverMs)} ms against the engine's ${round2(engineMs)} ms in process ` +
    `(${round2(cost.serverMs / engineMs)}×); the load generator and the reply receiver, on this machine too, ${round2(cost.sendersMs)} ms more. ` +
    `At equal CPU use the route accepts ${round2(engineMs / all)} × the engine's rate; ` +
    `if the product's side of HTTP cost nothing, ${round2(engineMs / (engineMs + cost.sendersMs))} ×`
  );
}

/**
 * The HTTP ingress bench (issue 19): the whole product in this process, the bench flow (keyword
 * → condition → reply), N HTTP connections posting to an inbound route from a process of their
 * own with a new sender per message, against the engine's in-process closed loop of the same run.
 */
export async function runIngressBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      connections: { type: 'string', default: '50' },
      messages: { type: 'string', default: '10000' },
      'engine-messages': { type: 'string', default: '10000' },
      warmup: { type: 'string', default: '1000' },
      routes: { type: 'string', default: 'sandbox,webhook' },
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '15' },
      unsettled: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const int = (name: string, raw: string, min = 0) => wholeNumberOption(name, raw, USAGE, min);
  const connections = int('connections', values.connections, 1);
  const messages = int('messages', values.messages, 1);
  const engineMessages = int('engine-messages', values['engine-messages'], 1);
  const warmup = int('warmup', values.warmup);
  const rate = int('rate', values.rate);
  const seconds = int('seconds', values.seconds, 1);
  const routes = values.routes.split(',').map((r) => r.trim());
  for (const r of routes)
    if (r !== 'sandbox' && r !== 'webhook') throw new Error(`--routes takes sandbox and webhook, not "${r}"\n${USAGE}`);

  // The webhook channel's replies are POSTed here (a service that answers 200 at once, in a process of its own).
  const receiver = await startReceiver();
  const { env, stopListening, autovacuumOff } = await startBench(progress, undefined, { HTTP_ALLOW_HOSTS: '127.0.0.1' });
  let replies: ReplyCounter | null = null;
  try {
    const ws = await createWorkspace(env, 1);
    const sandboxId = ws.channelIds[0]!;
    const webhook = (await postJson(
      env.baseUrl,
      '/api/v1/channels',
      { kind: 'webhook', name: 'Bench webhook', url: `http://127.0.0.1:${receiver.port}/inbox` },
      ws.token,
    )) as { id: string; webhookSecret: string };
    await publishBenchFlow(env, ws.workspaceId);
    replies = await ReplyCounter.open(env.redisUrl, env.redisPrefix, [sandboxId, webhook.id]);
    const http = new HttpPhases(env, ws, replies, connections, receiver.child.pid!);
    const credentials: Record<Route, { channelId: string; credential: string }> = {
      sandbox: { channelId: sandboxId, credential: ws.token },
      webhook: { channelId: webhook.id, credential: webhook.webhookSecret },
    };

    if (warmup > 0) {
      await http.run('warmup', 'sandbox', credentials.sandbox, warmup);
      progress(`warmup: ${warmup} messages over HTTP`);
    }

    const inbound = new InboundPipeline({
      orm: env.orm,
      logger: createLogger('warn').child({ component: 'bench-inbound' }),
      clock: systemClock,
    });
    inbound.onAccepted(env.product.engine.onInboundAccepted);
    const engineRunner = new PhaseRunner(env, ws, inbound, replies, 2_000);
    const vacuumed = async (phase: string) => {
      if (autovacuumOff) progress(`vacuum analyze before the ${phase} phase (autovacuum is off): ${await vacuumAnalyze(env.orm)} ms`);
    };
    const enginePhase = async (name: string) => {
      await vacuumed(name);
      const r = await engineRunner.closed(name, engineMessages, 200);
      progress(
        `${name} in process (closed loop, concurrency 200): ${r.throughputPerS}/s; CPU per message: product ${r.cpu.nodeMs} ms, PostgreSQL ${r.cpu.postgresMs} ms, Redis ${r.cpu.redisMs} ms; load ${loadAverage()}`,
      );
      return { perS: r.throughputPerS, cpuMs: r.cpu.nodeMs + r.cpu.postgresMs + r.cpu.redisMs };
    };

    // The engine before and after the HTTP closed loops, and their mean as the reference: this
    // machine's speed drifts within a run (up to 1.5× between two phases), and a reference
    // taken on one side only made a ratio of one run say more about the drift than the route.
    const before = await enginePhase('engine');
    const figures: Partial<Record<Route, RouteFigures>> = {};
    const costs: Partial<Record<Route, RouteCost>> = {};
    for (const route of routes as Route[]) {
      await vacuumed(route);
      ({ figures: figures[route], cost: costs[route] } = await http.run(route, route, credentials[route], messages));
    }
    const after = await enginePhase('engine-after');
    const engine = { perS: Math.round((before.perS + after.perS) / 2), cpuMs: (before.cpuMs + after.cpuMs) / 2 };
    progress(`engine in process, mean of before and after the HTTP closed loops: ${engine.perS}/s`);
    // Latency where it means something: below capacity. In the closed loop, 50 connections wait
    // 50 / accepted_per_s on average by construction (Little's law), however fast each step is.
    const open: Partial<Record<Route, Pick<RouteFigures, 'http_p99_ms' | 'reply_p99_ms'>>> = {};
    if (rate > 0)
      for (const route of routes as Route[]) {
        if (!values.unsettled) progress(`checkpoint before the open-${route} phase: ${await settleWrites(env.orm)} ms`);
        const { figures: f } = await http.run(`open-${route}`, route, credentials[route], rate * seconds, rate);
        open[route] = { http_p99_ms: f.http_p99_ms, reply_p99_ms: f.reply_p99_ms };
      }

    const target = Math.round(0.8 * engine.perS);
    for (const [route, f] of Object.entries(figures))
      progress(
        `targets (${route}): accepted ≥ 0.8 × engine (${target}/s): ${f.accepted_per_s >= target ? 'met' : 'MISSED'}; http p99 ≤ 50 ms: ${f.http_p99_ms <= 50 ? 'met' : 'MISSED'}; reply p99 ≤ 100 ms: ${f.reply_p99_ms <= 100 ? 'met' : 'MISSED'}; answered ${f.answered_per_s}/s, ${round2(f.answered_per_s / engine.perS)} × the engine`,
      );
    for (const [route, cost] of Object.entries(costs)) progress(costLine(route as Route, cost, engine.cpuMs));
    for (const [route, f] of Object.entries(open))
      progress(
        `open loop at ${rate}/s (${route}), the same latency targets below capacity: http p99 ≤ 50 ms: ${f.http_p99_ms <= 50 ? 'met' : 'MISSED'}; reply p99 ≤ 100 ms: ${f.reply_p99_ms <= 100 ? 'met' : 'MISSED'}`,
      );
    progress(`load average at end: ${loadAverage()}`);
    const result = {
      bench: 'ingress',
      connections,
      ...(figures.sandbox ?? {}),
      engine_in_process_per_s: engine.perS,
      ...(figures.webhook ? { webhook: figures.webhook } : {}),
      ...(rate > 0 ? { open_loop: { rate_per_s: rate, ...open } } : {}),
    };
    await replies.close();
    replies = null;
    await env.cleanup();
    console.log(JSON.stringify(result));
  } finally {
    stopListening();
    if (replies) await replies.close().catch(() => undefined);
    await env.cleanup();
    receiver.child.kill();
  }
}

/** Runs the load generator against one route and reads the replies' timings back from the product. */
class HttpPhases {
  private phoneBlock = 300;

  constructor(
    private readonly env: BenchEnv,
    private readonly ws: BenchWorkspace,
    private readonly replies: ReplyCounter,
    private readonly connections: number,
    private readonly receiverPid: number,
  ) {}

  private cpu() {
    return cpuSnapshot(this.env.orm, this.env.redis, `om_bench_${this.env.id}`);
  }

  async run(
    phase: string,
    route: Route,
    target: { channelId: string; credential: string },
    count: number,
    ratePerS?: number,
  ): Promise<{ figures: RouteFigures; cost: RouteCost }> {
    const base = this.replies.count;
    const startedMs = Date.now();
    const cpuBefore = await this.cpu();
    const receiverCpuBefore = (await processCpuMs(this.receiverPid)) ?? 0;
    const spec: IngressLoadSpec = {
      baseUrl: this.env.baseUrl,
      route,
      ...target,
      connections: this.connections,
      count,
      phase,
      phonePrefix: String(this.phoneBlock++),
      text: BENCH_KEYWORD,
      ...(ratePerS === undefined ? {} : { ratePerS }),
    };
    const load = await runLoad(spec);
    const accepted = load.statuses['202'] ?? 0;
    if (accepted !== count)
      throw new Error(`${phase}: ${accepted} of ${count} requests accepted; answers by status ${JSON.stringify(load.statuses)}`);
    await this.replies.waitFor(base + count, STALL_MS);
    const cpuAfter = await this.cpu();
    const cpu = cpuPerMessage(cpuBefore, cpuAfter, count);
    const receiverMs = ((await processCpuMs(this.receiverPid)) ?? receiverCpuBefore) - receiverCpuBefore;
    const timings = await readPhaseTimings(this.env.orm, this.ws.workspaceId, phase, new Date(startedMs));
    if (timings.replied !== count) throw new Error(`${phase}: ${timings.replied} of ${count} messages have a reply recorded sent`);
    const http = summarise(load.acceptedMs);
    const reply = summarise(timings.endToEndMs);
    const acceptedPerS = Math.round((accepted / load.wallMs) * 1000);
    const answeredPerS = Math.round((count / timings.spanMs) * 1000);
    progress(
      `${phase} (${route}, ${ratePerS === undefined ? `${this.connections} connections` : `open loop at ${ratePerS}/s`}): ${acceptedPerS} accepted/s, answered end to end ${answeredPerS}/s; load ${loadAverage()}`,
    );
    progress(`  ${phase}: HTTP request (load generator side) ${formatSummary(http)}`);
    progress(`  ${phase}: inbound received → reply sent       ${formatSummary(reply)}`);
    progress(`  ${phase}: received → drain tx began           ${formatSummary(summarise(timings.toHandledMs))}`);
    const loadMs = load.cpuMs / count;
    progress(
      `  ${phase}: CPU per message: product ${cpu.nodeMs} ms, PostgreSQL ${cpu.postgresMs} ms, Redis ${cpu.redisMs} ms, load generator ${round2(loadMs)} ms, reply receiver ${round2(receiverMs / count)} ms`,
    );
    return {
      figures: { accepted_per_s: acceptedPerS, http_p99_ms: http.p99, reply_p99_ms: reply.p99, answered_per_s: answeredPerS },
      cost: { serverMs: cpu.nodeMs + cpu.postgresMs + cpu.redisMs, sendersMs: loadMs + receiverMs / count },
    };
  }
}

function runLoad(spec: IngressLoadSpec): Promise<IngressLoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', LOAD_FILE, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the load generator exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as IngressLoadResult);
    });
  });
}

/** Starts the webhook channel's receiving service (bench/support/webhook-receiver.ts); answers its port. */
function startReceiver(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RECEIVER_FILE], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      child.stdout!.off('data', onData);
      resolve({ child, port: (JSON.parse(line) as { port: number }).port });
    };
    child.stdout!.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the webhook receiver exited with ${code} before listening`)));
  });
}
