import { setTimeout as sleep } from 'node:timers/promises';
import { rm } from 'node:fs/promises';
import { v7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInboundLatency } from '../connectors/retention/inbound-latency.sql.ts';
import { privacyFilesOf } from '../connectors/retention/privacy-files.ts';
import { insertSweep } from '../connectors/retention/retention-sweep.store.ts';
import { RetentionSweepRunner } from '../connectors/retention/retention-sweep.ts';
import { DEFAULT_PRESSURE } from '../connectors/retention/sweep-throttle.ts';
import { systemClock } from '../engine/clock.ts';
import { resolvePolicy } from '../engine/retention/retention-policy.ts';
import { newId } from '../platform/ids.ts';
import { createLogger } from '../platform/logger.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

const EXPIRED_MESSAGES = 5_000;
/** A simulated inbound message every this many ms (40/s). */
const ARRIVAL_INTERVAL_MS = 25;
const IDLE_LATENCY_MS = 40;
const SLOW_LATENCY_MS = 400;

let env: TestEnv;
const ids = { workspaceId: newId(), channelId: newId(), contactId: newId(), conversationId: newId(), flowId: newId(), versionId: newId() };

async function sql<T = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await runSql<T>(env.orm.em.fork(), text, { ...ids, ...bindings })).rows;
}

beforeAll(async () => {
  env = await createTestEnv();
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Pressure')`);
  await sql(`insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'S', 'connected')`);
  await sql(`insert into contacts (id, workspace_id, phone) values (:contactId, :workspaceId, '+15550004321')`);
  await sql(`insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`);
  await sql(`insert into flows (id, workspace_id, name, draft) values (:flowId, :workspaceId, 'Reply', '{}')`);
  await sql(`insert into flow_versions (id, workspace_id, flow_id, version, document) values (:versionId, :workspaceId, :flowId, 1, '{}')`);
  await sql(`insert into retention_settings (workspace_id, policy) values (:workspaceId, '{"message_content": 7}')`);
}, 120_000);

afterAll(async () => {
  if (env) await rm(env.config.dataDir, { recursive: true, force: true });
  await env?.cleanup();
});

/** Expired, handled messages with UUIDv7 ids of their own (old) time, as the product writes them. */
async function seedExpired(): Promise<void> {
  const start = Date.now() - 30 * 86_400_000;
  const times = Array.from({ length: EXPIRED_MESSAGES }, (_, i) => start + i * 1_000);
  await sql(
    `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, handled_at, created_at)
     select t.id, :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'old', 'received', t.at, t.at
       from unnest(cast(:ids as uuid[]), cast(:ats as timestamptz[])) as t(id, at)`,
    { ids: times.map((msecs) => v7({ msecs })), ats: times.map((ms) => new Date(ms).toISOString()) },
  );
}

/** One inbound message accepted `latencyMs` ago and handled now, as the pipeline records it (both times exact). */
async function handledMessage(latencyMs: number): Promise<void> {
  const handled = Date.now();
  const received = handled - latencyMs;
  await sql(
    `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, status_times, handled_at, created_at)
     values (:id, :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'hi', 'received', jsonb_build_object('received', cast(:received as text)), cast(:handled as timestamptz), cast(:received as timestamptz))`,
    { id: v7({ msecs: received }), received: new Date(received).toISOString(), handled: new Date(handled).toISOString() },
  );
}

/** Simulated inbound traffic: a message every ARRIVAL_INTERVAL_MS, each taking `latencyMs()`. */
function traffic(latencyMs: () => number): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await handledMessage(latencyMs());
      await sleep(ARRIVAL_INTERVAL_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Runs a sweep of the workspace; returns its rests and its audit entry's figures. */
async function sweep(onRest: (resting: boolean) => void = () => undefined): Promise<{ rests: number[]; pausedMs: number; slowReadings: number; left: number }> {
  const sweepRow = (await insertSweep(env.orm.em.fork(), { id: newId(), workspaceId: ids.workspaceId, dryRun: false, trigger: 'cli', requestedBy: null, policy: resolvePolicy({ message_content: 7 }), now: new Date() }))!;
  const rests: number[] = [];
  const runner = new RetentionSweepRunner({
    orm: env.orm,
    clock: systemClock,
    logger: createLogger('warn'),
    files: privacyFilesOf(env.config),
    secretKey: env.config.secretKey,
    // Frequent readings for a short sweep; the idle latency of the last 3 s.
    options: { batchRows: 100, pressure: { ...DEFAULT_PRESSURE, readIntervalMs: 20, baselineWindowMs: 3_000 } },
    sleep: async (ms) => {
      rests.push(ms);
      onRest(true);
      await sleep(ms);
      onRest(false);
    },
  });
  expect(await runner.run(sweepRow.id)).toBe('completed');
  const [entry] = await sql<{ details: { pausedMs: number; slowReadings: number } }>(`select details from audit_log where target_id = :id`, { id: sweepRow.id });
  const [left] = await sql<{ n: number }>(`select cast(count(*) as int) as n from messages where workspace_id = :workspaceId and created_at < now() - interval '7 days'`);
  return { rests, pausedMs: entry!.details.pausedMs, slowReadings: entry!.details.slowReadings, left: left!.n };
}

describe('reading the latency of recent inbound messages', () => {
  it('counts a message with a reply until its reply is sent, one with none until it is handled, and one not handled as on its way', async () => {
    const t0 = Date.now() - 5_000;
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const replied = v7({ msecs: t0 + 100 });
    const unhandled = v7({ msecs: t0 + 200 });
    const noReply = v7({ msecs: t0 + 300 });
    const runId = newId();
    await sql(
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, status_times, handled_at, created_at) values
         (:replied, :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'a', 'received', jsonb_build_object('received', cast(:r1 as text)), cast(:h1 as timestamptz), cast(:r1 as timestamptz)),
         (:unhandled, :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'b', 'received', jsonb_build_object('received', cast(:r2 as text)), null, cast(:r2 as timestamptz)),
         (:noReply, :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'c', 'received', jsonb_build_object('received', cast(:r3 as text)), cast(:h3 as timestamptz), cast(:r3 as timestamptz))`,
      { replied, unhandled, noReply, r1: at(100), h1: at(130), r2: at(200), r3: at(300), h3: at(350) },
    );
    await sql(`insert into runs (id, workspace_id, flow_id, flow_version_id, contact_id, conversation_id, status, trigger) values (:runId, :workspaceId, :flowId, :versionId, :contactId, :conversationId, 'completed', jsonb_build_object('kind', 'message', 'messageId', cast(:replied as text)))`, { runId, replied });
    await sql(
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, status_times, run_id, created_at)
       values (:id, :workspaceId, :channelId, :conversationId, :contactId, 'outbound', 'bot', 'text', 'reply', 'sent', jsonb_build_object('queued', cast(:q as text), 'sent', cast(:s as text)), :runId, cast(:q as timestamptz))`,
      { id: v7({ msecs: t0 + 150 }), q: at(150), s: at(190), runId },
    );
    const reading = await readInboundLatency(env.orm.em.fork(), new Date(t0));
    const latencies = new Map(reading.samples.map((s) => [Math.round(s.receivedMs - t0), s.doneMs === null ? null : Math.round(s.doneMs - s.receivedMs)]));
    expect(latencies).toEqual(new Map([[100, 90], [200, null], [300, 50]]));
    expect(reading.nowMs).toBeGreaterThan(t0 + 300);
    await sql(`delete from messages where id in (:replied, :unhandled, :noReply) or run_id = :runId`, { replied, unhandled, noReply, runId });
  }, 30_000);
});

describe('when no inbound message is coming in', () => {
  it('sweeps without a single rest', async () => {
    await seedExpired();
    const result = await sweep();
    expect(result).toEqual({ rests: [], pausedMs: 0, slowReadings: 0, left: 0 });
  }, 120_000);
});

describe('when auto-replies keep their idle latency during the sweep', () => {
  it('never reads the inbound path slow', async () => {
    await seedExpired();
    const load = traffic(() => IDLE_LATENCY_MS);
    try {
      await sleep(3_000);
      const result = await sweep();
      expect(result.slowReadings).toBe(0);
      expect(result.left).toBe(0);
    } finally {
      await load.stop();
    }
  }, 120_000);
});

describe('when auto-replies slow down while the sweep works (simulated pressure)', () => {
  it('backs off and rests between batches, and still deletes every expired message', async () => {
    await seedExpired();
    // Messages take 10× as long while the sweep works (from its first committed batch on) and are back to idle while it rests.
    let working = false;
    let resting = false;
    const load = traffic(() => (working && !resting ? SLOW_LATENCY_MS : IDLE_LATENCY_MS));
    let sweeping = true;
    const firstBatch = (async () => {
      while (sweeping && !working) {
        const [row] = await sql<{ deleted: number | null }>(`select cast(progress #>> '{message_content,deleted}' as int) as deleted from retention_sweeps where workspace_id = :workspaceId and status = 'running'`);
        if ((row?.deleted ?? 0) > 0) working = true;
        else await sleep(10);
      }
    })();
    try {
      await sleep(3_000);
      const result = await sweep((r) => (resting = r)).finally(() => (sweeping = false));
      await firstBatch;
      expect(working).toBe(true);
      expect(result.slowReadings).toBeGreaterThanOrEqual(1);
      expect(result.pausedMs).toBeGreaterThan(0);
      expect(result.left).toBe(0);
    } finally {
      await load.stop();
    }
  }, 120_000);
});
