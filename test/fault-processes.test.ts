import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { TIMER_QUEUE } from '../platform/automation/engine-queues.ts';
import { STALL_DETECTION_MS } from '../platform/queues/queue-factory.ts';
import { sendQueueName } from '../platform/pipeline/send-job.ts';
import type { ApiClient } from './support/api-client.ts';
import { PROCESS_READY_MS, ProcessCluster, type RoleProcess } from './support/process-cluster.ts';
import { eventually } from './support/eventually.ts';

/*
 * Issue 21, findings 2 and 5, with every role in an OS process of its own:
 * - a due timer fires within 1 s of its due time plus the stall-detection interval, even while
 *   worker processes are being killed with SIGKILL (it took 27–42 s at p50 before: a killed
 *   worker's timer jobs stayed locked for BullMQ's default 30 s lock and 30 s stall check);
 * - the sandbox's delivered/read receipts survive the death of the connector that sent the
 *   message (they were in-process timers, and 104 messages stayed `sent` in the chaos run).
 */

let cluster: ProcessCluster;
let phoneSeq = 0;

interface Workspace {
  id: string;
  owner: ApiClient;
  channelId: string;
}

function newPhone(): string {
  phoneSeq += 1;
  return `+1555${String(6_300_000 + phoneSeq).padStart(7, '0')}`;
}

async function newWorkspace(name: string): Promise<Workspace> {
  const signup = await cluster.client.post('/api/v1/auth/signup', {
    email: `${name}@example.com`,
    password: 'password-123',
    name: 'Owner',
    workspaceName: name,
  });
  expect(signup.status).toBe(201);
  const owner = cluster.client.as(signup.body.token);
  const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' });
  expect(channel.status).toBe(201);
  await cluster.waitForQueueWorkers(sendQueueName(channel.body.id), 1);
  return { id: signup.body.workspace.id, owner, channelId: channel.body.id };
}

async function say(ws: Workspace, from: string, text: string): Promise<void> {
  for (;;) {
    const res = await ws.owner.post(`/api/v1/channels/${ws.channelId}/sandbox/inbound`, { from, text, name: 'Sam' });
    if (res.status === 202) return;
    if (res.status !== 503) throw new Error(`sandbox inbound answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

async function count(query: string, values: unknown[]): Promise<number> {
  const [row] = await cluster.sql<{ n: number }>(`select count(*)::int as n from (${query}) q`, values);
  return row!.n;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

beforeAll(async () => {
  cluster = await ProcessCluster.create();
  await cluster.startApi();
}, PROCESS_READY_MS * 2);

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`the role processes logged:\n${cluster.diagnostics()}`);
});

afterAll(async () => {
  await cluster?.cleanup();
}, 60_000);

describe('when worker processes are killed with SIGKILL while runs wait on 2-second delays', () => {
  const WORKERS = 3;
  const MESSAGES = 120;
  /** What the issue asks: 1 s of the due time plus the stall-detection interval (2.5 s)… */
  const ALLOWED_P99_LATE_MS = 1_000 + STALL_DETECTION_MS;
  /** …and its aim for every timer, the slowest included (one that was already running a moment when its worker died). */
  const ALLOWED_LATE_MS = 5_000;

  it(`fires timers within ${ALLOWED_P99_LATE_MS} ms of their due time at p99, and every one within ${ALLOWED_LATE_MS} ms`, async () => {
    cluster.spawn('connector');
    for (let i = 0; i < WORKERS; i++) cluster.spawn('worker', { LOG_LEVEL: 'info' });
    await cluster.waitForQueueWorkers(TIMER_QUEUE, WORKERS);
    const ws = await newWorkspace('timers');
    await cluster.publishFlow(
      ws.id,
      doc(
        [
          keywordTrigger('t', ['wait'], 'starts_with'),
          node('pause', 'delay', { mode: 'duration', duration: { amount: 2, unit: 'seconds' } }),
          node('done', 'send_message', { text: 'done {{message.text}}' }),
        ],
        [edge('t', 'out', 'pause'), edge('pause', 'out', 'done')],
      ),
      'delay',
    );

    // Load: one message every ~200 ms from new senders, while a worker is killed every 2.5 s
    // (and a new one started), as long as messages are still coming and runs still waiting.
    let sending = true;
    const load = (async () => {
      for (let i = 0; i < MESSAGES; i++) {
        void say(ws, newPhone(), `wait ${i}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      sending = false;
    })();
    const killed: RoleProcess[] = [];
    const waiting = `select id from runs where workspace_id = $1 and status = 'waiting'`;
    while (sending || (await count(waiting, [ws.id])) > 0) {
      await new Promise((r) => setTimeout(r, 2_500));
      // Kill only a worker that is running (it logged "ready"), and only while another such
      // worker stays: a new process takes seconds to start on a loaded 2-core machine.
      const ready = cluster.alive('worker').filter((w) => cluster.isReady(w));
      if (ready.length >= 2) {
        const victim = ready[Math.floor(Math.random() * ready.length)]!;
        await cluster.stop(victim, 'SIGKILL');
        killed.push(victim);
      }
      while (cluster.alive('worker').length < WORKERS) cluster.spawn('worker', { LOG_LEVEL: 'info' });
      if (killed.length > 40) break;
    }
    await load;
    await eventually(
      async () =>
        (await count(`select id from runs where workspace_id = $1 and status = 'completed'`, [ws.id])) >= MESSAGES ? true : undefined,
      {
        timeoutMs: 120_000,
        what: `${MESSAGES} runs completed`,
        progress: async () => `${await count(`select id from runs where workspace_id = $1 and status = 'completed'`, [ws.id])} completed`,
      },
    );

    // Lateness: when the delay's second step (the wake-up) started, against the due time its first step set.
    const rows = await cluster.sql<{ lateMs: number }>(
      `select extract(epoch from (woke.started_at - (waited.output ->> 'dueAt')::timestamptz)) * 1000 as "lateMs"
         from run_steps waited join run_steps woke on woke.run_id = waited.run_id and woke.seq = waited.seq + 1
        where waited.workspace_id = $1 and waited.node_id = 'pause' and waited.output ? 'dueAt'`,
      [ws.id],
    );
    const late = rows.map((r) => Number(r.lateMs)).sort((a, b) => a - b);
    console.info(
      `[timers under kills] ${killed.length} workers killed; ${late.length} timers: late p50 ${Math.round(percentile(late, 50))} ms, p99 ${Math.round(percentile(late, 99))} ms, max ${Math.round(late.at(-1) ?? 0)} ms`,
    );
    expect(late).toHaveLength(MESSAGES);
    expect(killed.length).toBeGreaterThanOrEqual(3);
    expect(percentile(late, 99)).toBeLessThanOrEqual(ALLOWED_P99_LATE_MS);
    expect(late.at(-1)).toBeLessThanOrEqual(ALLOWED_LATE_MS);
    expect(
      await count(
        `select conversation_id from messages where workspace_id = $1 and direction = 'outbound' group by conversation_id having count(*) <> 1`,
        [ws.id],
      ),
    ).toBe(0);
  }, 300_000);
});

describe('when the connector process that sent replies is killed before their receipts', () => {
  it('reports them delivered and read from another connector process', async () => {
    for (const w of cluster.alive('worker').slice(1)) await cluster.stop(w, 'SIGTERM');
    if (cluster.alive('worker').length === 0) cluster.spawn('worker');
    const [first] = cluster.alive('connector');
    const ws = await newWorkspace('receipts');
    await cluster.publishFlow(
      ws.id,
      doc([keywordTrigger('t', ['hi']), node('send', 'send_message', { text: 'hello' })], [edge('t', 'out', 'send')]),
      'reply',
    );
    const REPLIES = 30;
    await Promise.all(Array.from({ length: REPLIES }, () => say(ws, newPhone(), 'hi')));
    const sentOrLater = `select id from messages where workspace_id = $1 and direction = 'outbound' and status in ('sent', 'delivered', 'read')`;
    await eventually(async () => ((await count(sentOrLater, [ws.id])) >= REPLIES ? true : undefined), {
      timeoutMs: 60_000,
      what: `${REPLIES} replies sent`,
      intervalMs: 10,
    });
    // At once: the sandbox reports delivered 300 ms and read 1 s after a send.
    await cluster.stop(first!, 'SIGKILL');
    const notRead = await count(`select id from messages where workspace_id = $1 and direction = 'outbound' and status <> 'read'`, [ws.id]);
    expect(notRead).toBeGreaterThan(0);
    cluster.spawn('connector');
    await eventually(
      async () =>
        (await count(`select id from messages where workspace_id = $1 and direction = 'outbound' and status = 'read'`, [ws.id])) >= REPLIES
          ? true
          : undefined,
      {
        timeoutMs: 60_000,
        what: `${REPLIES} replies read`,
        progress: async () =>
          JSON.stringify(
            await cluster.sql(
              `select status, count(*)::int as n from messages where workspace_id = $1 and direction = 'outbound' group by status`,
              [ws.id],
            ),
          ),
      },
    );
  }, 180_000);
});
