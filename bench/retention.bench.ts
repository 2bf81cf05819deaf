import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LocalMediaStore } from '../connectors/whatsapp/media-store.ts';
import { RetentionSweepRunner } from '../connectors/retention/retention-sweep.ts';
import { findSweep, insertSweep, SWEEP_ORDER } from '../connectors/retention/retention-sweep.store.ts';
import { resolvePolicy } from '../engine/retention/retention-policy.ts';
import { systemClock } from '../engine/clock.ts';
import type { Orm } from '../platform/db/orm.ts';
import { newId } from '../platform/ids.ts';
import { createLogger } from '../platform/logger.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from '../test/support/test-sql.ts';
import { loadAverage, startBench, wholeNumberOption } from './support/bench-process.ts';
import { BENCH_KEYWORD, benchPhone, createContacts, createWorkspace, publishBenchFlow } from './support/engine-fixture.ts';
import { cpuPerMessage, cpuSnapshot } from './support/cpu-usage.ts';
import { PhaseDiagnostics } from './support/phase-diagnostics.ts';
import { ProcessEvents } from './support/process-events.ts';
import { openLoop } from './support/load.ts';
import { formatSummary, summarise } from './support/percentiles.ts';
import { readPhaseTimings, slowest, type PhaseTimings } from './support/phase-timings.ts';
import { seedRetentionData } from './support/retention-seed.ts';
import { ReplyCounter } from './support/reply-counter.ts';
import { settleWrites } from './support/settle-writes.ts';

const USAGE = `npm run bench -- retention [options]
  --messages N        messages in the swept workspace, half of them expired (2000000)
  --inbound-rate N    auto-reply messages per second while the sweep runs (20)
  --batch-rows N      rows per sweep transaction (5000)
  --timeline          also print, per second of the sweep, its kind, the WAL written and the auto-replies' latency
  --unsettled         skip the CHECKPOINT after seeding (as before session 12): the seed's checkpoint and
                      its unwritten data files may then land in the measured phases
  --checkpoint-at-ms N  issue a CHECKPOINT N ms into the sweep (a checkpoint's fsyncs during a sweep:
                      the sweep's own dirty data files, not the seed's)`;

function progress(line: string): void {
  console.log(`[bench retention] ${line}`);
}

/**
 * The retention bench (issue 16): a workspace with N messages (half older than its 30-day
 * period) with run steps and media rows, an auto-reply flow answering at a steady rate on
 * another channel of the same workspace; the auto-reply latency is measured idle (before the
 * sweep and again after it), and while a sweep deletes the expired half. Data is generated
 * set-based (INSERT … SELECT generate_series).
 */
export async function runRetentionBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: 'string', default: '2000000' },
      'inbound-rate': { type: 'string', default: '20' },
      'batch-rows': { type: 'string', default: '5000' },
      timeline: { type: 'boolean', default: false },
      unsettled: { type: 'boolean', default: false },
      'checkpoint-at-ms': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const messages = wholeNumberOption('messages', values.messages, USAGE, 2);
  const inboundRate = wholeNumberOption('inbound-rate', values['inbound-rate'], USAGE, 1);
  const batchRows = wholeNumberOption('batch-rows', values['batch-rows'], USAGE, 1);
  const checkpointAtMs =
    values['checkpoint-at-ms'] === undefined ? null : wholeNumberOption('checkpoint-at-ms', values['checkpoint-at-ms'], USAGE, 0);
  const { env, stopListening } = await startBench(progress);
  let replies: ReplyCounter | null = null;
  let diagnostics: PhaseDiagnostics | null = null;
  const processEvents = new ProcessEvents();
  const mediaDir = `/tmp/onemessage-retention-bench-${env.id}`;
  try {
    const ws = await createWorkspace(env, 2);
    const [dataChannel, replyChannel] = ws.channelIds as [string, string];
    await publishBenchFlow(env, ws.workspaceId);
    const em = env.orm.em.fork();
    const seeded = performance.now();
    const b = { workspaceId: ws.workspaceId, channelId: dataChannel };
    const flow = (
      await testSql<{ flowId: string; versionId: string }>(
        em,
        `select flow_id as "flowId", id as "versionId" from flow_versions where workspace_id = :workspaceId limit 1`,
        b,
      )
    ).rows[0]!;
    // Messages 1..N/2 are 60 days old (expired), the others 1 day old.
    await seedRetentionData(em, { ...b, ...flow }, messages, { kind: 'halves' });
    const counts = (
      await testSql<{ messages: string; steps: string; runs: string }>(
        em,
        `select (select count(*) from messages) as messages, (select count(*) from run_steps) as steps, (select count(*) from runs) as runs`,
      )
    ).rows[0]!;
    progress(
      `seeded ${counts.messages} messages, ${counts.runs} runs, ${counts.steps} run steps in ${Math.round((performance.now() - seeded) / 1000)} s; load ${loadAverage()}`,
    );
    await runSql(
      em,
      `insert into retention_settings (workspace_id, policy) values (:workspaceId, '{"message_content": 30, "media_files": 30, "run_steps": 30}')`,
      b,
    );

    if (!values.unsettled) {
      // The seed writes some 2 GB in a minute: the checkpoint it starts and its data files not yet on
      // the disk (Dirty in /proc/meminfo: 470 MB at the sweep's start) otherwise reach the disk in one
      // burst whenever that checkpoint ends, 0.3–1 s in which every commit waits (bench/README.md,
      // session 12): in the sweep's phase in some runs, in an idle one in others. A checkpoint here
      // writes them before any phase is measured; a checkpoint the sweep's own WAL brings on still
      // happens in its phase (--checkpoint-at-ms forces one).
      progress(`checkpoint after seeding: ${await settleWrites(env.orm)} ms`);
    }
    await createContacts(env, ws.workspaceId, 1, 200);
    replies = await ReplyCounter.open(env.redisUrl, env.redisPrefix, [replyChannel]);
    const inbound = new InboundPipeline({
      orm: env.orm,
      logger: createLogger('warn').child({ component: 'bench-inbound' }),
      clock: systemClock,
    });
    inbound.onAccepted(env.product.engine.onInboundAccepted);
    const send =
      (phase: string, chunk = 0) =>
      async (i: number) => {
        const index = i % 200;
        await inbound.accept({
          channelId: replyChannel,
          providerMessageId: `${phase}:${chunk}.${i}`,
          from: { phone: benchPhone(1, index), name: `Contact ${index}` },
          type: 'text',
          text: BENCH_KEYWORD,
        });
      };
    await openLoop({ ratePerS: inboundRate, durationS: 2, send: send('warm'), replies });
    diagnostics = PhaseDiagnostics.start(env.orm, env.databaseUrl, `om_bench_${env.id}`);
    processEvents.start();
    const idleStart = new Date();
    await diagnostics.begin('idle before');
    await openLoop({ ratePerS: inboundRate, durationS: IDLE_S, send: send('idle'), replies });
    const idleBeforeDiagnostics = await diagnostics.end();
    const idleBefore = await readPhaseTimings(env.orm, ws.workspaceId, 'idle', idleStart);
    progress(
      `auto-replies before the sweep: ${idleBefore.endToEndMs.length} at ${inboundRate}/s: end to end ${formatSummary(summarise(idleBefore.endToEndMs))}`,
    );
    progress(`  ${segments(idleBefore)}`);
    for (const line of idleBeforeDiagnostics) progress(`  ${line}`);

    const sweep = (await insertSweep(em, {
      id: newId(),
      workspaceId: ws.workspaceId,
      dryRun: false,
      trigger: 'cli',
      requestedBy: null,
      policy: resolvePolicy({ message_content: 30, media_files: 30, run_steps: 30 }),
      now: new Date(),
    }))!;
    const runner = new RetentionSweepRunner({
      orm: env.orm,
      clock: systemClock,
      logger: createLogger('warn'),
      files: { media: processEvents.recording(new LocalMediaStore(mediaDir)), exportsDir: `${mediaDir}/exports` },
      secretKey: randomBytes(32),
      options: { batchRows },
    });
    const duringStart = new Date();
    const cpuBefore = await cpuSnapshot(env.orm, env.redis, `om_bench_${env.id}`);
    const sweepStarted = performance.now();
    let sweepDone = false;
    let sweepRanMs = 0;
    let sweepEndedMs = 0;
    await diagnostics.begin('sweep');
    const checkpointing =
      checkpointAtMs === null
        ? Promise.resolve()
        : new Promise((resolve) => setTimeout(resolve, checkpointAtMs)).then(() => runSql(env.orm.em.fork(), `checkpoint`));
    const sweeping = runner.run(sweep.id).finally(() => {
      sweepDone = true;
      sweepRanMs = performance.now() - sweepStarted;
      sweepEndedMs = Date.now();
    });
    // The sweep's phase ends with the sweep, not with the 5-second chunk of replies that outlives it.
    const d = diagnostics;
    const sweepDiagnostics = sweeping.then(
      () => d.end(),
      () => [] as string[],
    );
    const samples: TimelineSample[] = [];
    const sampling = values.timeline ? sampleTimeline(env.orm, ws.workspaceId, sweep.id, () => sweepDone, samples) : Promise.resolve();
    let chunk = 0;
    while (!sweepDone) await openLoop({ ratePerS: inboundRate, durationS: 5, send: send('during', chunk++), replies });
    await sweeping;
    await sampling;
    await checkpointing;
    const sweepMs = performance.now() - sweepStarted;
    const cpuAfter = await cpuSnapshot(env.orm, env.redis, `om_bench_${env.id}`);
    const done = (await findSweep(em, ws.workspaceId, sweep.id))!;
    let deleted = 0;
    for (const kind of SWEEP_ORDER) {
      const p = done.progress[kind]!;
      if (p.status !== 'kept')
        progress(`  ${kind}: ${p.status}, deleted ${p.deleted} of ${p.total} rows (${Math.round(p.bytes / 1e6)} MB, ${p.files} files)`);
      // Media files are rows updated (their file removed), not rows deleted.
      if (kind !== 'media_files') deleted += p.deleted;
    }
    // Only the replies to messages received while the sweep ran: the last 5-second chunk goes on after
    // it (until session 12 the cut was at that chunk's end, 1–4 s after the sweep's).
    const duringTimings = receivedBy(await readPhaseTimings(env.orm, ws.workspaceId, 'during', duringStart), sweepEndedMs);
    const during = summarise(duringTimings.endToEndMs);
    // The idle reference is measured before and after the sweep, the same way (rate, warm product):
    // one 15-second phase of about 300 replies put its p99 anywhere from 43 to 97 ms on a quiet
    // machine (bench/README.md), and the phase after the sweep sees the same drift as the sweep.
    const idleAfterStart = new Date();
    const duringDiagnostics = await sweepDiagnostics;
    await diagnostics.begin('idle after');
    await openLoop({ ratePerS: inboundRate, durationS: IDLE_S, send: send('idle-after'), replies });
    const idleAfterDiagnostics = await diagnostics.end();
    const idleAfter = await readPhaseTimings(env.orm, ws.workspaceId, 'idle-after', idleAfterStart);
    const sweepStartedMs = duringStart.getTime();
    const spikesOf = async (replies: { receivedMs: number; endToEndMs: number }[]) => {
      const seen = await diagnostics!.spikes(replies, sweepStartedMs);
      return seen.map(
        (line, i) =>
          `${line}; bench process: ${processEvents.between(replies[i]!.receivedMs, replies[i]!.receivedMs + replies[i]!.endToEndMs)}`,
      );
    };
    const spikes = {
      during: await spikesOf(slowest(duringTimings, SPIKES_SHOWN)),
      idle: await spikesOf(slowest(merge(idleBefore, idleAfter), SPIKES_SHOWN)),
    };
    await diagnostics.stop();
    diagnostics = null;
    progress(
      `auto-replies after the sweep: ${idleAfter.endToEndMs.length} at ${inboundRate}/s: end to end ${formatSummary(summarise(idleAfter.endToEndMs))}`,
    );
    progress(`  ${segments(idleAfter)}`);
    for (const line of idleAfterDiagnostics) progress(`  ${line}`);
    const idle = summarise([...idleBefore.endToEndMs, ...idleAfter.endToEndMs]);
    progress(`auto-replies with no sweep (before and after): end to end ${formatSummary(idle)}`);
    const rowsPerS = Math.round(deleted / (sweepMs / 1000));
    const timing = (
      await testSql<{ measureMs: number; pausedMs: number }>(
        em,
        `select cast(details ->> 'measureMs' as int) as "measureMs", cast(details ->> 'pausedMs' as int) as "pausedMs" from audit_log where target_id = :sweepId`,
        { sweepId: sweep.id },
      )
    ).rows[0];
    if (timing)
      progress(
        `of the sweep's ${Math.round(sweepMs)} ms: ${timing.measureMs} ms counting what to delete, ${timing.pausedMs} ms resting for the auto-replies`,
      );
    progress(`sweep ${done.status}: ${deleted} rows deleted in ${Math.round(sweepMs)} ms: ${rowsPerS} rows/s; load ${loadAverage()}`);
    // rows_per_s runs to the end of the 5-second chunk of replies in which the sweep ended (unchanged
    // since session 8): 3 chunks give about 80,000 for 1,200,000 rows, 4 about 60,000, 5 about 48,000.
    progress(
      `the sweep itself ran ${Math.round(sweepRanMs)} ms (${Math.round(deleted / (sweepRanMs / 1000))} rows/s); rows_per_s counts to the end of the 5-second chunk of replies it ended in (${Math.round(sweepMs / 5000)} chunks)`,
    );
    // CPU seconds are what a loaded machine cannot hide: rows per PostgreSQL CPU second is close to the rate a quiet machine would give.
    const cpu = cpuPerMessage(cpuBefore, cpuAfter, 1);
    progress(
      `CPU during the sweep (sweep and auto-replies): PostgreSQL ${(cpu.postgresMs / 1000).toFixed(1)} s, bench process ${(cpu.nodeMs / 1000).toFixed(1)} s: ${Math.round(deleted / (cpu.postgresMs / 1000))} rows per PostgreSQL CPU second`,
    );
    progress(`auto-replies during the sweep: ${during.count} at ${inboundRate}/s: end to end ${formatSummary(during)}`);
    progress(`  ${segments(duringTimings)}`);
    for (const line of duringDiagnostics) progress(`  ${line}`);
    progress(`  the slowest replies during the sweep, and what the sampler saw while each was in flight:`);
    for (const line of spikes.during) progress(`    ${line}`);
    progress(`  the slowest replies with no sweep (before and after it):`);
    for (const line of spikes.idle) progress(`    ${line}`);
    if (values.timeline) printTimeline(samples, duringTimings);
    progress(
      `targets: ≥ 50000 rows/s: ${rowsPerS >= 50_000 ? 'met' : 'MISSED'}; p99 during ≤ 2 × idle: ${during.p99 <= 2 * idle.p99 ? 'met' : 'MISSED'} (machine shared with other work: figures are noisy)`,
    );
    const left = (
      await testSql<{ n: string }>(
        em,
        `select count(*) as n from messages where workspace_id = :workspaceId and created_at < now() - interval '30 days'`,
        b,
      )
    ).rows[0]!;
    if (Number(left.n) !== 0) throw new Error(`${left.n} expired messages are left`);
    const result = { bench: 'retention', deleted, rows_per_s: rowsPerS, inbound_p99_idle_ms: idle.p99, inbound_p99_during_ms: during.p99 };
    await replies.close();
    replies = null;
    await env.cleanup();
    console.log(JSON.stringify(result));
  } finally {
    processEvents.stop();
    stopListening();
    if (diagnostics) await diagnostics.stop().catch(() => undefined);
    if (replies) await replies.close().catch(() => undefined);
    await rm(mediaDir, { recursive: true, force: true });
    await env.cleanup();
  }
}

/** Seconds of auto-replies measured with no sweep, before it and again after it. */
const IDLE_S = 15;

/** Slowest replies of a phase shown with what the wait sampler saw while they were in flight. */
const SPIKES_SHOWN = 5;

function merge(a: PhaseTimings, b: PhaseTimings): Pick<PhaseTimings, 'endToEndMs' | 'receivedMs'> {
  return { endToEndMs: [...a.endToEndMs, ...b.endToEndMs], receivedMs: [...a.receivedMs, ...b.receivedMs] };
}

/** The messages of a phase received before `epochMs`. */
function receivedBy(t: PhaseTimings, epochMs: number): PhaseTimings {
  const keep = t.receivedMs.map((at) => at <= epochMs);
  const pick = (values: number[]) => values.filter((_, i) => keep[i]);
  return {
    ...t,
    replied: keep.filter(Boolean).length,
    endToEndMs: pick(t.endToEndMs),
    receivedMs: pick(t.receivedMs),
    toHandledMs: pick(t.toHandledMs),
    handledToQueuedMs: pick(t.handledToQueuedMs),
    queuedToSentMs: pick(t.queuedToSentMs),
  };
}

/** p50/p99 of each segment of the auto-replies' path: where a slow reply spent its time. */
function segments(t: PhaseTimings): string {
  const part = (name: string, values: number[]) => {
    const s = summarise(values);
    return `${name} p50 ${s.p50} / p99 ${s.p99} / max ${s.max}`;
  };
  return `${part('received → handled', t.toHandledMs)}; ${part('handled → reply queued', t.handledToQueuedMs)}; ${part('queued → sent', t.queuedToSentMs)} ms`;
}

interface TimelineSample {
  atMs: number;
  kind: string;
  walBytes: number;
  checkpoints: number;
}

/** Once a second while the sweep runs: its current kind, the server's WAL position and checkpoint count. */
async function sampleTimeline(orm: Orm, workspaceId: string, sweepId: string, done: () => boolean, out: TimelineSample[]): Promise<void> {
  while (!done()) {
    const sweep = await findSweep(orm.em.fork(), workspaceId, sweepId);
    const kind =
      SWEEP_ORDER.find((k) => sweep?.progress[k]?.status === 'running') ??
      (SWEEP_ORDER.some((k) => sweep?.progress[k]?.status === 'pending') ? 'counting' : '-');
    const wal = (
      await testSql<{ lsn: string; checkpoints: string }>(
        orm.em.fork(),
        `select cast(pg_current_wal_lsn() - '0/0' as text) as lsn, cast(checkpoints_timed + checkpoints_req as text) as checkpoints from pg_stat_bgwriter`,
      )
    ).rows[0]!;
    out.push({ atMs: Date.now(), kind, walBytes: Number(wal.lsn), checkpoints: Number(wal.checkpoints) });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Per second of the sweep: its kind, WAL MB written (the whole server's), checkpoints begun, and the replies received in that second. */
function printTimeline(samples: TimelineSample[], t: PhaseTimings): void {
  for (let i = 0; i + 1 < samples.length; i++) {
    const a = samples[i]!;
    const b = samples[i + 1]!;
    const ms = t.endToEndMs.filter((_, k) => t.receivedMs[k]! >= a.atMs && t.receivedMs[k]! < b.atMs);
    const s = summarise(ms);
    const mb = (b.walBytes - a.walBytes) / 1e6;
    progress(
      `  t+${i}s ${a.kind.padEnd(16)} WAL ${mb.toFixed(1).padStart(6)} MB${b.checkpoints > a.checkpoints ? ' checkpoint' : ''}  replies n=${s.count} p50 ${s.p50} max ${s.max} ms`,
    );
  }
}
