import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { QueueEvents } from 'bullmq';
import { systemClock } from '../engine/clock.ts';
import { BROADCASTS_QUEUE } from '../platform/broadcasts/broadcast-queues.ts';
import { createLogger } from '../platform/logger.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from '../test/support/test-sql.ts';
import { createRedis } from '../platform/redis.ts';
import { loadAverage, startBench, wholeNumberOption } from './support/bench-process.ts';
import { cpuPerMessage, cpuSnapshot } from './support/cpu-usage.ts';
import { BENCH_KEYWORD, benchPhone, createContacts, createWorkspace, postJson, publishBenchFlow } from './support/engine-fixture.ts';
import { openLoop } from './support/load.ts';
import { formatSummary, summarise } from './support/percentiles.ts';
import { readPhaseTimings } from './support/phase-timings.ts';
import { ReplyCounter } from './support/reply-counter.ts';

const USAGE = `npm run bench -- broadcast [options]
  --contacts N        contacts in the workspace (100000)
  --segment N         of them, how many the segment matches (50000)
  --inbound-rate N    auto-reply messages per second on another channel while the broadcast sends (20)
  --inbound-contacts N  conversations those messages are spread over (200)`;

/** The longest the bench waits for the broadcast to complete. */
const COMPLETE_TIMEOUT_MS = 10 * 60_000;

function parseOptions(args: string[]): { contacts: number; segment: number; inboundRate: number; inboundContacts: number } {
  const { values } = parseArgs({
    args,
    options: {
      contacts: { type: 'string', default: '100000' },
      segment: { type: 'string', default: '50000' },
      'inbound-rate': { type: 'string', default: '20' },
      'inbound-contacts': { type: 'string', default: '200' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, raw: string) => wholeNumberOption(name, raw, USAGE, 1);
  const opts = {
    contacts: int('contacts', values.contacts),
    segment: int('segment', values.segment),
    inboundRate: int('inbound-rate', values['inbound-rate']),
    inboundContacts: int('inbound-contacts', values['inbound-contacts']),
  };
  if (opts.segment > opts.contacts) throw new Error(`--segment cannot exceed --contacts\n${USAGE}`);
  return opts;
}

function progress(line: string): void {
  console.log(`[bench broadcast] ${line}`);
}

/**
 * The broadcast bench (issue 6, "Performance"): the whole product in-process on a fresh database
 * with N contacts, a segment matching M of them, an unpaced message broadcast on a sandbox
 * channel, and auto-replies on a second sandbox channel at a steady rate while it sends.
 * Snapshot and enqueue times are the start job's own; the send rate is the broadcast's messages
 * over the span of their `sent` times; inbound latency is accepted → reply sent per message.
 */
export async function runBroadcastBench(args: string[]): Promise<void> {
  const opts = parseOptions(args);
  const { env, stopListening } = await startBench(progress);
  let replies: ReplyCounter | null = null;
  const eventsConnection = createRedis(env.redisUrl);
  const startEvents = new QueueEvents(BROADCASTS_QUEUE, { connection: eventsConnection, prefix: env.redisPrefix });
  try {
    const ws = await createWorkspace(env, 2);
    const [broadcastChannel, replyChannel] = ws.channelIds as [string, string];
    await publishBenchFlow(env, ws.workspaceId);
    const em = env.orm.em.fork();
    const createdMs = performance.now();
    // Every other contact is in the spring segment, up to --segment of them.
    await runSql(
      em,
      `insert into contacts (id, workspace_id, phone, name, tags, attributes, created_at)
       select gen_random_uuid(), :workspaceId, '+1999' || lpad(cast(i as text), 7, '0'), 'Contact ' || i,
              case when i % 2 = 0 and i / 2 < :segment then array['spring'] else array['autumn'] end,
              jsonb_build_object('plan', case when i % 3 = 0 then 'pro' else 'free' end), now() - interval '1 hour'
         from generate_series(0, :last) as i`,
      { workspaceId: ws.workspaceId, segment: opts.segment, last: Math.max(opts.contacts, opts.segment * 2) - 1 },
    );
    await runSql(em, `analyze contacts`);
    progress(`${Math.max(opts.contacts, opts.segment * 2)} contacts created in ${Math.round(performance.now() - createdMs)} ms`);

    // The auto-reply side: contacts of their own on the other channel, the engine bench's flow.
    await createContacts(env, ws.workspaceId, 1, opts.inboundContacts);
    replies = await ReplyCounter.open(env.redisUrl, env.redisPrefix, [replyChannel]);
    const inbound = new InboundPipeline({
      orm: env.orm,
      logger: createLogger('warn').child({ component: 'bench-inbound' }),
      clock: systemClock,
    });
    inbound.onAccepted(env.product.engine.onInboundAccepted);
    const sendInbound = (phase: string) => async (i: number) => {
      const index = i % opts.inboundContacts;
      await inbound.accept({
        channelId: replyChannel,
        providerMessageId: `${phase}:${i}`,
        from: { phone: benchPhone(1, index), name: `Contact ${index}` },
        type: 'text',
        text: BENCH_KEYWORD,
      });
    };
    // Warm the reply path (compiled statements, flow cache) before anything is measured.
    await openLoop({ ratePerS: opts.inboundRate, durationS: 2, send: sendInbound('warm'), replies });

    const quietStart = new Date();
    const quiet = await openLoop({ ratePerS: opts.inboundRate, durationS: 5, send: sendInbound('quiet'), replies });
    const quietLatency = summarise((await readPhaseTimings(env.orm, ws.workspaceId, 'quiet', quietStart)).endToEndMs);
    progress(
      `auto-replies with no broadcast: ${quiet.acceptMs.length} at ${opts.inboundRate}/s: end to end ${formatSummary(quietLatency)}`,
    );

    const created = (await postJson(
      env.baseUrl,
      '/api/v1/broadcasts',
      {
        name: 'Spring sale',
        channelId: broadcastChannel,
        audience: { kind: 'segment', rule: { in: ['spring', { var: 'contact.tags' }] } },
        content: { kind: 'message', text: 'Hi {{contact.name | "there"}}, spring sale at {{workspace.name}}: 20% off.' },
        schedule: { kind: 'now' },
        pacePerMinute: null,
      },
      ws.token,
    )) as { id: string };
    const started = new Promise<{ recipients: number; skipped: number; snapshotMs: number; enqueueMs: number }>((resolve, reject) => {
      startEvents.on('completed', ({ returnvalue }) => {
        // Other jobs of the queue (finish checks) return plain strings.
        let outcome: { kind?: string } | null = null;
        try {
          outcome = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as { kind?: string } | null;
        } catch {
          return;
        }
        if (outcome?.kind === 'started') resolve(outcome as never);
        else if (outcome?.kind === 'failed') reject(new Error(`the broadcast failed to start: ${JSON.stringify(outcome)}`));
      });
    });
    await startEvents.waitUntilReady();

    const cpuBefore = await cpuSnapshot(env.orm, env.redis, `om_bench_${env.id}`);
    // The product runs in this process: a blocked event loop delays every auto-reply.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const broadcastStart = new Date();
    await postJson(env.baseUrl, `/api/v1/broadcasts/${created.id}/schedule`, {}, ws.token);
    // Auto-replies keep arriving while the broadcast snapshots and sends.
    const duringLoad = openLoop({ ratePerS: opts.inboundRate, durationS: 30, send: sendInbound('during'), replies });
    const start = await started;
    progress(
      `snapshot of ${start.recipients} recipients (${start.skipped} skipped): ${start.snapshotMs} ms; enqueue of their batches: ${start.enqueueMs} ms; load ${loadAverage()}`,
    );

    const deadline = Date.now() + COMPLETE_TIMEOUT_MS;
    let state = '';
    while (Date.now() < deadline) {
      state =
        (await testSql<{ state: string }>(em, `select state from broadcasts where id = :id`, { id: created.id })).rows[0]?.state ?? '';
      if (state === 'completed' || state === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (state !== 'completed') throw new Error(`the broadcast did not complete within ${COMPLETE_TIMEOUT_MS / 1000} s (state ${state})`);
    await duringLoad;
    loopDelay.disable();
    const cpu = cpuPerMessage(cpuBefore, await cpuSnapshot(env.orm, env.redis, `om_bench_${env.id}`), start.recipients);

    const sent = (
      await testSql<{ sent: string; firstMs: number; lastMs: number; failed: string }>(
        em,
        `select count(*) filter (where m.status_times ? 'sent') as sent, count(*) filter (where m.status = 'failed') as failed,
              cast(extract(epoch from min(cast(m.status_times ->> 'sent' as timestamptz))) * 1000 as float8) as "firstMs",
              cast(extract(epoch from max(cast(m.status_times ->> 'sent' as timestamptz))) * 1000 as float8) as "lastMs"
         from broadcast_recipients r join messages m on m.id = r.message_id where r.broadcast_id = :id`,
        { id: created.id },
      )
    ).rows[0]!;
    const sentCount = Number(sent.sent);
    if (sentCount !== start.recipients)
      throw new Error(`${sentCount} of ${start.recipients} broadcast messages were sent (${sent.failed} failed)`);
    const sendRate = Math.round(sentCount / ((sent.lastMs - sent.firstMs) / 1000));
    // Only the auto-replies that arrived while the broadcast was snapshotting or sending.
    const during = await readPhaseTimings(env.orm, ws.workspaceId, 'during', broadcastStart);
    const duringLatency = summarise(during.endToEndMs.filter((_, i) => (during.receivedMs[i] as number) <= sent.lastMs));
    progress(
      `broadcast sent ${sentCount} messages in ${Math.round(sent.lastMs - sent.firstMs)} ms (first to last sent): ${sendRate}/s; load ${loadAverage()}`,
    );
    progress(
      `auto-replies that arrived while it snapshotted and sent: ${duringLatency.count} at ${opts.inboundRate}/s: end to end ${formatSummary(duringLatency)}`,
    );
    const inWindow = (values: number[]) => summarise(values.filter((_, i) => (during.receivedMs[i] as number) <= sent.lastMs));
    const whileSnapshotting = summarise(during.endToEndMs.filter((_, i) => (during.receivedMs[i] as number) < sent.firstMs));
    const whileSending = summarise(
      during.endToEndMs.filter(
        (_, i) => (during.receivedMs[i] as number) >= sent.firstMs && (during.receivedMs[i] as number) <= sent.lastMs,
      ),
    );
    progress(`  arrived while it snapshotted ${formatSummary(whileSnapshotting)}; while it sent ${formatSummary(whileSending)}`);
    progress(`  received → drain tx began ${formatSummary(inWindow(during.toHandledMs))}`);
    progress(`  drain tx began → reply queued ${formatSummary(inWindow(during.handledToQueuedMs))}`);
    progress(`  reply queued → sent ${formatSummary(inWindow(during.queuedToSentMs))}`);
    progress(
      `event loop delay while it sent: p50 ${Math.round(loopDelay.percentile(50) / 1e6)} / p99 ${Math.round(loopDelay.percentile(99) / 1e6)} / max ${Math.round(loopDelay.max / 1e6)} ms`,
    );
    progress(
      `CPU per broadcast message (whole product, auto-replies included): Node ${cpu.nodeMs} ms, PostgreSQL ${cpu.postgresMs} ms, Redis ≤ ${cpu.redisMs} ms`,
    );
    progress(
      `targets: snapshot + enqueue ≤ 5000 ms: ${start.snapshotMs + start.enqueueMs <= 5000 ? 'met' : 'MISSED'}; send rate ≥ 2000/s: ${sendRate >= 2000 ? 'met' : 'MISSED'}; auto-reply p99 < 200 ms: ${duringLatency.p99 < 200 ? 'met' : 'MISSED'}`,
    );
    const result = {
      bench: 'broadcast',
      recipients: start.recipients,
      snapshot_ms: start.snapshotMs,
      enqueue_ms: start.enqueueMs,
      send_rate_per_s: sendRate,
      inbound_p99_ms: duringLatency.p99,
    };
    await replies.close();
    replies = null;
    await startEvents.close();
    await env.cleanup();
    progress('cleaned up: product stopped, database dropped, redis keys deleted');
    console.log(JSON.stringify(result));
  } finally {
    stopListening();
    if (replies) await replies.close().catch(() => undefined);
    await startEvents.close().catch(() => undefined);
    eventsConnection.disconnect();
    await env.cleanup();
  }
}
