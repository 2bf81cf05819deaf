import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { INBOX_QUEUE, TIMER_QUEUE } from '../platform/automation/engine-queues.ts';
import { sendQueueName } from '../platform/pipeline/send-job.ts';
import type { ApiClient } from './support/api-client.ts';
import { PROCESS_READY_MS, ProcessCluster, type RoleProcess } from './support/process-cluster.ts';
import { eventually } from './support/eventually.ts';

/*
 * The engine's runtime guarantees 2, 3 and 4 (issue 3), with every role in an OS process of its
 * own (`onemessage api`, `connector`, `worker`) on one database and one Redis prefix, as a
 * deployment runs them. Each test has its own workspace, channel and flow, so that the runs of
 * one never match the triggers of another.
 */

const WORKERS = 4;
/** The log line a worker writes (at debug level) for each inbound message it handled. */
const HANDLED_LOG = '"msg":"inbound message handled"';

let cluster: ProcessCluster;
let phoneSeq = 0;

interface Workspace {
  id: string;
  owner: ApiClient;
  channelId: string;
}

function newPhone(): string {
  phoneSeq += 1;
  return `+1555${String(3_000_000 + phoneSeq).padStart(7, '0')}`;
}

function startWorker(): RoleProcess {
  // Debug level for the "inbound message handled" line, which tells which process drained what.
  return cluster.spawn('worker', { LOG_LEVEL: 'debug' });
}

/** A new owner with a workspace and a sandbox channel whose send worker runs in the connector process. */
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

async function say(ws: Workspace, from: string, text: string): Promise<string> {
  const res = await ws.owner.post(`/api/v1/channels/${ws.channelId}/sandbox/inbound`, { from, text, name: 'Sam' });
  if (res.status !== 202) throw new Error(`sandbox inbound answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.conversationId;
}

/**
 * Posts `perConversation` messages to each of `conversations` new contacts, with `senders`
 * concurrent loops. A conversation belongs to one sender, which awaits each 202 before the next
 * message, so each conversation's arrival order is its send order; conversations interleave.
 * Returns the conversation id of each contact, by index.
 */
async function sendAll(
  ws: Workspace,
  opts: { conversations: number; perConversation: number; senders: number; text: (i: number) => string },
): Promise<string[]> {
  const phones = Array.from({ length: opts.conversations }, () => newPhone());
  const conversationIds: string[] = [];
  await Promise.all(
    Array.from({ length: opts.senders }, async (_, sender) => {
      const mine = phones.map((_p, k) => k).filter((k) => k % opts.senders === sender);
      for (let i = 0; i < opts.perConversation; i++) {
        for (const k of mine) conversationIds[k] = await say(ws, phones[k]!, opts.text(i));
      }
    }),
  );
  return conversationIds;
}

async function count(query: string, values: unknown[]): Promise<number> {
  const [row] = await cluster.sql<{ n: number }>(`select count(*)::int as n from (${query}) q`, values);
  return row!.n;
}

function handledBy(worker: RoleProcess): number {
  return worker.output().stdout.split(HANDLED_LOG).length - 1;
}

beforeAll(async () => {
  cluster = await ProcessCluster.create();
  await cluster.startApi();
  cluster.spawn('connector');
  for (let i = 0; i < WORKERS; i++) startWorker();
  await cluster.waitForQueueWorkers(INBOX_QUEUE, WORKERS);
}, PROCESS_READY_MS * 2);

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`the role processes logged:\n${cluster.diagnostics()}`);
});

afterAll(async () => {
  await cluster?.cleanup();
}, 60_000);

describe('when four worker processes drain 2,000 messages over 100 conversations', () => {
  const CONVERSATIONS = 100;
  const PER_CONVERSATION = 20;
  const SENDERS = 20;
  const TOTAL = CONVERSATIONS * PER_CONVERSATION;

  it('replies to each conversation in arrival order, exactly once, with several processes doing the work', async () => {
    const ws = await newWorkspace('ordering');
    await cluster.publishFlow(
      ws.id,
      doc(
        [keywordTrigger('t', ['m'], 'starts_with'), node('send', 'send_message', { text: '{{message.text}}' })],
        [edge('t', 'out', 'send')],
      ),
      'echo',
    );
    const workers = cluster.alive('worker');
    const before = new Map(workers.map((w) => [w, handledBy(w)]));

    const started = Date.now();
    const conversationIds = await sendAll(ws, {
      conversations: CONVERSATIONS,
      perConversation: PER_CONVERSATION,
      senders: SENDERS,
      text: (i) => `m ${i}`,
    });
    const postedMs = Date.now() - started;
    const outbound = `select id from messages where workspace_id = $1 and direction = 'outbound'`;
    await eventually(async () => ((await count(outbound, [ws.id])) >= TOTAL ? true : undefined), {
      timeoutMs: 90_000,
      what: `${TOTAL} replies`,
      progress: async () => `${await count(outbound, [ws.id])} so far`,
    });
    const repliedMs = Date.now() - started;

    const rows = await cluster.sql<{ conversationId: string; text: string }>(
      `select conversation_id as "conversationId", text from messages where workspace_id = $1 and direction = 'outbound' order by id`,
      [ws.id],
    );
    const replies = new Map<string, string[]>(conversationIds.map((id) => [id, []]));
    for (const row of rows) replies.get(row.conversationId)!.push(row.text);
    const expected = new Map(conversationIds.map((id) => [id, Array.from({ length: PER_CONVERSATION }, (_, i) => `m ${i}`)]));
    expect(replies).toEqual(expected);
    expect(await cluster.sql(`select status, count(*)::int as n from runs where workspace_id = $1 group by status`, [ws.id])).toEqual([
      { status: 'completed', n: TOTAL },
    ]);

    const perWorker = workers.map((w) => handledBy(w) - before.get(w)!);
    expect(perWorker.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    console.info(
      `[ordering] ${TOTAL} messages: posted in ${postedMs} ms, all replies recorded after ${repliedMs} ms (${Math.round((TOTAL * 1000) / repliedMs)} msg/s end to end); handled per worker process: ${perWorker.join(', ')}`,
    );
  }, 180_000);
});

describe('when a worker process is killed with SIGKILL while it drains conversations', () => {
  const CONVERSATIONS = 60;
  const PER_CONVERSATION = 5;
  const TOTAL = CONVERSATIONS * PER_CONVERSATION;
  /** Kill once this share of the messages is handled: well inside the burst. */
  const KILL_AT = Math.floor(TOTAL / 3);
  /** BullMQ gives a dead worker's active job back after its lock (30 s) and a stalled check (30 s). */
  const RECOVERY_DEADLINE_MS = 100_000;

  it('completes every run after another worker starts, and sends every reply exactly once', async () => {
    // One worker only: the process killed is then surely the one holding the drains in flight.
    const [victim, ...others] = cluster.alive('worker');
    await Promise.all(others.map((w) => cluster.stop(w, 'SIGTERM')));
    const ws = await newWorkspace('crash');
    await cluster.publishFlow(
      ws.id,
      doc(
        [
          keywordTrigger('t', ['k'], 'starts_with'),
          node('a', 'send_message', { text: 'a {{message.text}}' }),
          node('b', 'send_message', { text: 'b {{message.text}}' }),
          // Logic between the sends that touches no row: a step that updates the contact after a
          // send deadlocks with the contact's next inbound message (see the report of this test).
          node('check', 'condition', { rule: { '!=': [{ var: 'message.text' }, ''] } }),
          node('c', 'send_message', { text: 'c {{message.text}}' }),
        ],
        [edge('t', 'out', 'a'), edge('a', 'out', 'b'), edge('b', 'out', 'check'), edge('check', 'true', 'c')],
      ),
      'three replies',
    );

    const handled = `select id from messages where workspace_id = $1 and direction = 'inbound' and handled_at is not null`;
    const sending = sendAll(ws, {
      conversations: CONVERSATIONS,
      perConversation: PER_CONVERSATION,
      senders: CONVERSATIONS,
      text: (i) => `k ${i}`,
    });
    // Awaited below; until then a failure must not surface as an unhandled rejection.
    sending.catch(() => undefined);
    await eventually(async () => ((await count(handled, [ws.id])) >= KILL_AT ? true : undefined), {
      timeoutMs: 60_000,
      what: `${KILL_AT} messages handled`,
      intervalMs: 10,
    });
    const killed = await cluster.stop(victim!, 'SIGKILL');
    // The dead process's jobs stay active until their locks expire: the drains it had in flight.
    const activeAtKill = await cluster.queue(INBOX_QUEUE).getActiveCount();
    const handledAtKill = await count(handled, [ws.id]);
    expect(killed.signal).toBe('SIGKILL');
    expect(handledBy(victim!)).toBeGreaterThan(0);
    expect(activeAtKill).toBeGreaterThan(0);
    expect(handledAtKill).toBeLessThan(TOTAL);

    startWorker();
    const conversationIds = await sending;
    const outbound = `select id from messages where workspace_id = $1 and direction = 'outbound'`;
    const sent = `${outbound} and status in ('sent', 'delivered', 'read')`;
    const completed = `select id from runs where workspace_id = $1 and status = 'completed'`;
    await eventually(
      async () => ((await count(completed, [ws.id])) >= TOTAL && (await count(sent, [ws.id])) >= 3 * TOTAL ? true : undefined),
      {
        timeoutMs: RECOVERY_DEADLINE_MS,
        what: `${TOTAL} runs completed and ${3 * TOTAL} replies sent`,
        progress: async () =>
          `${await count(completed, [ws.id])} runs completed, ${await count(outbound, [ws.id])} replies recorded, ${await count(sent, [ws.id])} sent`,
      },
    );
    const recoveredMs = Date.now() - killed.at;

    const rows = await cluster.sql<{ conversationId: string; text: string; n: number; sent: number }>(
      `select conversation_id as "conversationId", text, count(*)::int as n,
              count(*) filter (where status in ('sent', 'delivered', 'read') and provider_message_id is not null and status_times ? 'sent')::int as sent
         from messages where workspace_id = $1 and direction = 'outbound' group by conversation_id, text`,
      [ws.id],
    );
    const expected = conversationIds.flatMap((conversationId) =>
      Array.from({ length: PER_CONVERSATION }, (_, i) =>
        ['a', 'b', 'c'].map((p) => ({ conversationId, text: `${p} k ${i}`, n: 1, sent: 1 })),
      ).flat(),
    );
    expect(rows).toHaveLength(expected.length);
    expect(rows).toEqual(expect.arrayContaining(expected));
    expect(await cluster.sql(`select status, count(*)::int as n from runs where workspace_id = $1 group by status`, [ws.id])).toEqual([
      { status: 'completed', n: TOTAL },
    ]);
    expect(await count(`select run_id, seq from run_steps where workspace_id = $1 group by run_id, seq having count(*) > 1`, [ws.id])).toBe(
      0,
    );
    expect(await count(`select id from run_steps where workspace_id = $1`, [ws.id])).toBe(TOTAL * 5);
    console.info(
      `[sigkill] killed worker ${killed.signal} with ${handledAtKill}/${TOTAL} messages handled and ${activeAtKill} drain jobs active; all runs completed and ${3 * TOTAL} replies sent ${recoveredMs} ms after the kill`,
    );
  }, 150_000);
});

describe('when every process is stopped while runs wait on a delay, and started after it came due', () => {
  const CONVERSATIONS = 20;
  const DELAY_S = 3;

  it('fires each delayed reply exactly once after the restart', async () => {
    const ws = await newWorkspace('restart');
    await cluster.publishFlow(
      ws.id,
      doc(
        [
          keywordTrigger('t', ['w'], 'starts_with'),
          node('remember', 'set_contact_attribute', { key: 'word', value: '{{message.text}}' }),
          node('wait', 'delay', { mode: 'duration', duration: { amount: DELAY_S, unit: 'seconds' } }),
          node('send', 'send_message', { text: 'later {{contact.attributes.word}}' }),
        ],
        [edge('t', 'out', 'remember'), edge('remember', 'out', 'wait'), edge('wait', 'out', 'send')],
      ),
      'delayed reply',
    );
    const conversationIds = await sendAll(ws, {
      conversations: CONVERSATIONS,
      perConversation: 1,
      senders: CONVERSATIONS,
      text: () => 'w',
    });
    const waitingRuns = `select id from runs where workspace_id = $1 and status = 'waiting' and due_at is not null`;
    await eventually(async () => ((await count(waitingRuns, [ws.id])) >= CONVERSATIONS ? true : undefined), {
      timeoutMs: 10_000,
      what: `${CONVERSATIONS} runs waiting`,
    });
    // due_at is cleared when a run moves on, so each run's due time is read now.
    const dueAt = new Map(
      (await cluster.sql<{ id: string; dueAt: Date }>(`select id, due_at as "dueAt" from runs where workspace_id = $1`, [ws.id])).map(
        (r) => [r.id, r.dueAt.getTime()],
      ),
    );
    const due = { first: Math.min(...dueAt.values()), last: Math.max(...dueAt.values()) };

    const exits = await Promise.all(cluster.alive().map((p) => cluster.stop(p, 'SIGTERM')));
    const allDownAt = Math.max(...exits.map((e) => e.at));
    // The premise: nothing was running when the first delay came due.
    expect(allDownAt).toBeLessThan(due.first);
    expect(exits.map((e) => e.code)).toEqual(exits.map(() => 0));
    expect(await count(`select id from messages where workspace_id = $1 and direction = 'outbound'`, [ws.id])).toBe(0);

    // Time must pass here: the delays come due while every process is down.
    await new Promise((r) => setTimeout(r, due.last + 1_000 - Date.now()));
    const restartedAt = Date.now();
    cluster.spawn('connector');
    startWorker();
    await cluster.startApi();
    await cluster.waitForQueueWorkers(TIMER_QUEUE, 1);
    const workerUpAt = Date.now();

    const sentReplies = `select id from messages where workspace_id = $1 and direction = 'outbound' and status in ('sent', 'delivered', 'read')`;
    await eventually(async () => ((await count(sentReplies, [ws.id])) >= CONVERSATIONS ? true : undefined), {
      timeoutMs: 60_000,
      what: `${CONVERSATIONS} delayed replies sent`,
    });
    const rows = await cluster.sql<{ conversationId: string; text: string }>(
      `select conversation_id as "conversationId", text from messages where workspace_id = $1 and direction = 'outbound' order by id`,
      [ws.id],
    );
    expect(rows.map((r) => r.conversationId).sort()).toEqual([...conversationIds].sort());
    expect(new Set(rows.map((r) => r.text))).toEqual(new Set(['later w']));
    expect(await cluster.sql(`select status, count(*)::int as n from runs where workspace_id = $1 group by status`, [ws.id])).toEqual([
      { status: 'completed', n: CONVERSATIONS },
    ]);

    const fired = await cluster.sql<{ runId: string; at: Date }>(
      `select run_id as "runId", finished_at as at from run_steps where workspace_id = $1 and node_id = 'send'`,
      [ws.id],
    );
    expect(fired).toHaveLength(CONVERSATIONS);
    const afterWorker = fired.map((f) => f.at.getTime() - workerUpAt);
    const afterDue = fired.map((f) => f.at.getTime() - dueAt.get(f.runId)!);
    console.info(
      `[restart] ${CONVERSATIONS} delays due within ${due.last - due.first} ms; every process down ${due.first - allDownAt} ms before the first came due, restarted ${restartedAt - due.last} ms after the last; ` +
        `timer worker connected ${workerUpAt - restartedAt} ms after the restart; replies fired ${Math.min(...afterWorker)}..${Math.max(...afterWorker)} ms after it; lateness vs due time ${Math.min(...afterDue)}..${Math.max(...afterDue)} ms`,
    );
  }, 150_000);
});
