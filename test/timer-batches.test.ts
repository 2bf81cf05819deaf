import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { UnavailableError } from '../engine/errors/app-error.ts';
import { tryLockConversation } from '../platform/automation/conversation-lock.ts';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { signUpWithSandbox, type SandboxWorkspace } from './support/sandbox-workspace.ts';
import { eventually } from './support/eventually.ts';
import { publishFlow } from './support/publish-flow.ts';

// Due timers fire in batches (issue 21). The chaos run's long form (100 messages/s, each with a
// 2 s delay, workers killed every 5–10 s) had its timers 30–150 s late: every timer was a job, a
// transaction and a turn in the drain's batches, and that path fell behind while the batched
// inbound path kept up. These tests fire the timers themselves (their jobs are an hour away) to
// see how they are grouped.

let api: TestApi;
let plain: SandboxWorkspace;
/** A second workspace whose flow calls this test's HTTP server after its delay (a run that may call out is woken alone). */
let calling: SandboxWorkspace;
let server: Server;
let calls = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    calls += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = await startTestApi({ HTTP_ALLOW_HOSTS: '127.0.0.1' });
  plain = await signUpWithSandbox(api, 'timer-batches');
  await publishFlow(
    api,
    plain.workspaceId,
    doc(
      [
        keywordTrigger('t', ['later'], 'starts_with'),
        node('pause', 'delay', { mode: 'duration', duration: { amount: 1, unit: 'hours' } }),
        node('done', 'send_message', { text: 'done {{message.text}}' }),
      ],
      [edge('t', 'out', 'pause'), edge('pause', 'out', 'done')],
    ),
    'delay',
  );
  calling = await signUpWithSandbox(api, 'timer-batches-calling');
  await publishFlow(
    api,
    calling.workspaceId,
    doc(
      [
        keywordTrigger('t', ['callout'], 'starts_with'),
        node('pause', 'delay', { mode: 'duration', duration: { amount: 1, unit: 'hours' } }),
        node('call', 'http_request', { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, timeoutMs: 10_000 }),
        node('done', 'send_message', { text: 'called {{message.text}}' }),
      ],
      [edge('t', 'out', 'pause'), edge('pause', 'out', 'call'), edge('call', 'success', 'done')],
    ),
    'delay, then call out',
  );
}, 60_000);

afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => server?.close(resolve));
});

interface WaitingRun {
  id: string;
  stepCount: number;
  conversationId: string;
}

async function sendAndWait(from: string, text: string, ws = plain): Promise<WaitingRun> {
  const res = await ws.owner.post(`/api/v1/channels/${ws.channelId}/sandbox/inbound`, { from, text });
  expect(res.status).toBe(202);
  return eventually(async () => {
    const { rows } = await testSql<WaitingRun>(
      api.env.orm.em.fork(),
      `select r.id, r.step_count as "stepCount", r.conversation_id as "conversationId"
         from runs r join messages m on m.id::text = r.trigger ->> 'messageId'
        where r.status = 'waiting' and m.text = :text`,
      { text },
    );
    return rows[0];
  });
}

const fire = (run: WaitingRun) => api.process.engine.timers.fire(run.id, run.stepCount);

/** As the timer's job does: a timer refused because its conversation is held is retried shortly after. */
async function fireAsJob(run: WaitingRun): Promise<void> {
  let refused: unknown;
  await eventually(
    () =>
      fire(run).then(
        () => true as const,
        (err: unknown) => {
          if (!(err instanceof UnavailableError)) throw err;
          refused = err;
          return undefined;
        },
      ),
    { timeoutMs: 2_000, intervalMs: 100, what: `the timer of run ${run.id} fired`, progress: () => String(refused) },
  );
}

async function outboundTexts(conversationId: string): Promise<string[]> {
  const { rows } = await testSql<{ text: string }>(
    api.env.orm.em.fork(),
    `select text from messages where conversation_id = :conversationId and direction = 'outbound' order by id`,
    { conversationId },
  );
  return rows.map((r) => r.text);
}

describe('due timers', () => {
  it('fired together share a few transactions, and each wakes its run once', async () => {
    const runs: WaitingRun[] = [];
    for (let i = 0; i < 30; i++) runs.push(await sendAndWait(`+1555000${String(2000 + i)}`, `later ${i}`));

    await Promise.all(runs.map(fire));

    // Each woken run's row was last written by the transaction that woke it: its xmin.
    const { rows } = await testSql<{ status: string; transactions: number }>(
      api.env.orm.em.fork(),
      `select min(status) as status, count(distinct xmin::text)::int as transactions from runs where id = any(cast(:ids as uuid[]))`,
      { ids: runs.map((r) => r.id) },
    );
    expect(rows[0]!.status).toBe('completed');
    // One timer per transaction made 30; a batch takes every timer asked for while the one or
    // two before it run.
    expect(rows[0]!.transactions).toBeLessThanOrEqual(5);
    for (const [i, run] of runs.entries()) expect(await outboundTexts(run.conversationId)).toEqual([`done later ${i}`]);

    // A second fire of the same timers finds the runs moved on and sends nothing more.
    await Promise.all(runs.map(fire));
    for (const [i, run] of runs.entries()) expect(await outboundTexts(run.conversationId)).toEqual([`done later ${i}`]);
  }, 60_000);

  it('of one conversation, fired at once, wake their runs in due order', async () => {
    const a = await sendAndWait('+15550003001', 'later a');
    const b = await sendAndWait('+15550003001', 'later b');
    expect(b.conversationId).toBe(a.conversationId);

    // b first: its batch wakes a (due earlier) before it; a's own timer (refused while b's batch
    // holds the conversation, or in the same batch) then finds nothing to do.
    await Promise.all([fireAsJob(b), fireAsJob(a)]);

    expect(await outboundTexts(a.conversationId)).toEqual(['done later a', 'done later b']);
  }, 30_000);

  it('of a run that may call out fire alone, beside a batch, and the run calls out once', async () => {
    const callingRun = await sendAndWait('+15550005001', 'callout a', calling);
    const plainRun = await sendAndWait('+15550005002', 'later beside');

    await Promise.all([fire(callingRun), fire(plainRun)]);

    expect(await outboundTexts(callingRun.conversationId)).toEqual(['called callout a']);
    expect(calls).toBe(1);
    expect(await outboundTexts(plainRun.conversationId)).toEqual(['done later beside']);
  }, 30_000);

  it('leave no message behind in a conversation they held without waking its run', async () => {
    const run = await sendAndWait('+15550006001', 'later stale');
    // A message committed while a timer batch held the conversation: its own drain found the lock
    // taken and left it to the holder (written here directly, so that no drain is asked for it).
    const { rows } = await testSql<{ id: string }>(
      api.env.orm.em.fork(),
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id,
                             type, text, metadata, status, status_times, created_at)
       select gen_random_uuid(), workspace_id, channel_id, conversation_id, contact_id, 'inbound', 'contact', 'stale-timer-test',
              'text', 'anything else', '{}', 'received', status_times, now()
         from messages where conversation_id = :conversationId and direction = 'inbound' limit 1
       returning id`,
      { conversationId: run.conversationId },
    );
    // A timer of a wait that has ended: the batch locks the conversation and wakes nothing.
    await api.process.engine.timers.fire(run.id, run.stepCount + 1);

    const handled = await testSql<{ handled: boolean }>(
      api.env.orm.em.fork(),
      `select handled_at is not null as handled from messages where id = :id`,
      { id: rows[0]!.id },
    );
    expect(handled.rows[0]!.handled).toBe(true);
  }, 30_000);

  it('whose conversation another process holds are refused, so that their job retries, then fire', async () => {
    const run = await sendAndWait('+15550004001', 'later held');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Another process's transaction holding the conversation (a drain, a timer, an agent's move).
    const holder = api.env.orm.em.fork().transactional(async (em) => {
      expect(await tryLockConversation(em, run.conversationId)).toBe(true);
      locked();
      await released;
    });
    await isLocked;

    await expect(fire(run)).rejects.toBeInstanceOf(UnavailableError);
    expect(await outboundTexts(run.conversationId)).toEqual([]);

    release();
    await holder;
    await fire(run);
    expect(await outboundTexts(run.conversationId)).toEqual(['done later held']);
  }, 30_000);
});
