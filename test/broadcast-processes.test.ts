import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BROADCASTS_QUEUE, broadcastSendQueueName } from '../platform/broadcasts/broadcast-queues.ts';
import type { ApiClient } from './support/api-client.ts';
import { PROCESS_READY_MS, ProcessCluster } from './support/process-cluster.ts';
import { eventually } from './support/eventually.ts';

/*
 * A message broadcast's batches run in the connector role (`broadcast-send-<channelId>`), its
 * start and finish check in the worker role, each role in an OS process of its own on one
 * database and one Redis prefix. The connector process is killed with SIGKILL while the
 * broadcast is half sent: the batches it held die mid-record or mid-send, with their BullMQ
 * jobs still active under a lock nobody renews.
 */

/** Reachable contacts of the segment: six unpaced batches of 500 (UNPACED_BATCH_SIZE). */
const REACHABLE = 3_000;
/** Opted-out contacts of the segment: recipients skipped as `opted_out` at the snapshot. */
const OPTED_OUT = 7;
/**
 * What recovery waits on, in the product's own timers: BullMQ gives a dead worker's active job
 * back once its lock (30 s) has expired and a stalled check (every 30 s) has seen it twice, so
 * up to ~60 s after the kill; the finish check then looks again at most every 60 s, growing
 * with its age (a quarter of it). The outbox reconciler (15 s tick, messages older than 30 s)
 * leaves messages alone while their batch job lives.
 */
const RECOVERY_DEADLINE_MS = 120_000;
const SENT_STATUSES = `('sent', 'delivered', 'read')`;

let cluster: ProcessCluster;
let owner: ApiClient;
let workspaceId: string;
let channelId: string;

async function count(query: string, values: unknown[]): Promise<number> {
  const [row] = await cluster.sql<{ n: number }>(`select count(*)::int as n from (${query}) q`, values);
  return row!.n;
}

beforeAll(async () => {
  cluster = await ProcessCluster.create();
  await cluster.startApi();
  cluster.spawn('connector');
  cluster.spawn('worker');
  await cluster.waitForQueueWorkers(BROADCASTS_QUEUE, 1);
  const signup = await cluster.client.post('/api/v1/auth/signup', {
    email: 'broadcast-crash@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Crash',
  });
  expect(signup.status).toBe(201);
  owner = cluster.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' });
  expect(channel.status).toBe(201);
  channelId = channel.body.id;
  await cluster.waitForQueueWorkers(broadcastSendQueueName(channelId), 1);
}, PROCESS_READY_MS * 2);

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`the role processes logged:\n${cluster.diagnostics()}`);
});

afterAll(async () => {
  await cluster?.cleanup();
}, 60_000);

describe('when the connector process is killed with SIGKILL while a broadcast of 3,000 recipients is half sent', () => {
  it(
    'completes the broadcast after another connector starts, with exactly one sent message per reachable recipient and none skipped, failed or pending',
    async () => {
      // One statement each: the segment is every contact tagged `crash`.
      await cluster.sql(
        `insert into contacts (id, workspace_id, phone, name, tags)
       select gen_random_uuid(), $1, '+1777' || lpad(n::text, 7, '0'), 'Contact ' || n, '{crash}' from generate_series(1, $2::int) n`,
        [workspaceId, REACHABLE],
      );
      await cluster.sql(
        `insert into contacts (id, workspace_id, phone, name, tags, opted_out_at)
       select gen_random_uuid(), $1, '+1778' || lpad(n::text, 7, '0'), 'Gone ' || n, '{crash}', now() from generate_series(1, $2::int) n`,
        [workspaceId, OPTED_OUT],
      );
      const created = await owner.post('/api/v1/broadcasts', {
        name: 'Crash test',
        channelId,
        audience: { kind: 'segment', rule: { in: ['crash', { var: 'contact.tags' }] } },
        content: { kind: 'message', text: 'Hi {{contact.name}}' },
        schedule: { kind: 'now' },
        pacePerMinute: null,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id: string = created.body.id;
      const keyPrefix = `broadcast:${id}:%`;
      const ofBroadcast = `select id, status, metadata from messages where channel_id = $1 and idempotency_key like $2`;
      const sent = `${ofBroadcast} and status in ${SENT_STATUSES}`;
      const [victim] = cluster.alive('connector');

      const scheduled = await owner.post(`/api/v1/broadcasts/${id}/schedule`, {});
      expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
      // Sends are recorded 500 at a time, in one statement per batch: the first batch recorded is
      // "mid-way". Whether the kill also lands inside a batch's provider calls (its messages claimed,
      // in flight) is up to timing: that window lasts a few milliseconds, too short to aim at by polling.
      await eventually(async () => ((await count(sent, [channelId, keyPrefix])) > 0 ? true : undefined), {
        timeoutMs: 60_000,
        what: 'the first batch of the broadcast sent',
        intervalMs: 5,
      });
      const killed = await cluster.stop(victim!, 'SIGKILL');
      expect(killed.signal).toBe('SIGKILL');

      // Nothing moves now: the worker records no send, and the api none either.
      const atKill = {
        sent: await count(sent, [channelId, keyPrefix]),
        recorded: await count(ofBroadcast, [channelId, keyPrefix]),
        inFlight: await count(`${ofBroadcast} and status = 'queued' and metadata -> 'send' ? 'inFlightSince'`, [channelId, keyPrefix]),
        pendingRecipients: await count(`select id from broadcast_recipients where broadcast_id = $1 and state = 'pending'`, [id]),
        activeBatchJobs: await cluster.queue(broadcastSendQueueName(channelId)).getActiveCount(),
      };
      // The premise: the kill came mid-way, with batch jobs held by the dead process.
      expect(atKill.sent).toBeGreaterThan(0);
      expect(atKill.sent).toBeLessThan(REACHABLE);
      expect(atKill.activeBatchJobs).toBeGreaterThan(0);
      const inFlightIds = new Set(
        (
          await cluster.sql<{ id: string }>(`${ofBroadcast} and status = 'queued' and metadata -> 'send' ? 'inFlightSince'`, [
            channelId,
            keyPrefix,
          ])
        ).map((m) => m.id),
      );

      cluster.spawn('connector');
      await cluster.waitForQueueWorkers(broadcastSendQueueName(channelId), 1);
      const replacedMs = Date.now() - killed.at;
      const finished = await eventually(
        async () => {
          const res = await owner.get(`/api/v1/broadcasts/${id}`);
          return res.body.state === 'completed' ? res.body : undefined;
        },
        {
          timeoutMs: RECOVERY_DEADLINE_MS,
          intervalMs: 250,
          what: 'the broadcast completed',
          progress: async () =>
            `${await count(sent, [channelId, keyPrefix])} sent, ${await count(ofBroadcast, [channelId, keyPrefix])} recorded, state ${(await owner.get(`/api/v1/broadcasts/${id}`)).body.state}`,
        },
      );
      const recoveredMs = Date.now() - killed.at;

      // Each recipient: one row, `queued` with exactly one message that left, or `skipped` as opted out.
      const recipients = await cluster.sql<{ state: string; skipReason: string | null; messages: number; sent: number; failed: number }>(
        `select r.state, r.skip_reason as "skipReason", count(m.id)::int as messages,
              count(m.id) filter (where m.status in ${SENT_STATUSES} and m.provider_message_id is not null and m.status_times ? 'sent')::int as sent,
              count(m.id) filter (where m.status = 'failed')::int as failed
         from broadcast_recipients r
         left join messages m on m.channel_id = $2 and m.idempotency_key = 'broadcast:' || r.broadcast_id || ':' || r.id
        where r.broadcast_id = $1
        group by r.id`,
        [id, channelId],
      );
      const shapes = new Map<string, number>();
      for (const r of recipients) {
        const shape = JSON.stringify(r);
        shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
      }
      expect(Object.fromEntries(shapes)).toEqual({
        [JSON.stringify({ state: 'queued', skipReason: null, messages: 1, sent: 1, failed: 0 })]: REACHABLE,
        [JSON.stringify({ state: 'skipped', skipReason: 'opted_out', messages: 0, sent: 0, failed: 0 })]: OPTED_OUT,
      });
      // Every contact of the segment is a recipient once; every message of the broadcast belongs to one.
      expect(
        await count(`select contact_id from broadcast_recipients where broadcast_id = $1 group by contact_id having count(*) = 1`, [id]),
      ).toBe(REACHABLE + OPTED_OUT);
      expect(
        await count(
          `select contact_id from messages where channel_id = $1 and idempotency_key like $2 group by contact_id having count(*) = 1`,
          [channelId, keyPrefix],
        ),
      ).toBe(REACHABLE);
      expect(
        await count(`${ofBroadcast} and (status = 'failed' or failure_reason like 'send_outcome_unknown%')`, [channelId, keyPrefix]),
      ).toBe(0);

      // One attempt per message, except those the kill caught in flight: each of those resent exactly once (the sandbox deduplicates).
      const attempts = await cluster.sql<{ id: string; attempts: number }>(
        `select id, (metadata -> 'send' ->> 'attempts')::int as attempts from (${ofBroadcast}) m`,
        [channelId, keyPrefix],
      );
      const resent = attempts.filter((m) => m.attempts !== 1);
      expect(new Set(resent.map((m) => m.id))).toEqual(inFlightIds);
      expect(resent.filter((m) => m.attempts !== 2)).toEqual([]);
      expect(await count(`${ofBroadcast} and metadata -> 'send' ? 'inFlightSince'`, [channelId, keyPrefix])).toBe(0);

      // The API's counts are the rows' counts. Delivery reports still arrive after completion, and
      // statuses only move forward: a recount equal before and after the API read saw the same rows.
      const recount = async () =>
        Object.fromEntries(
          (
            await cluster.sql<{ status: string; n: number }>(
              `select case when r.state = 'skipped' then 'skipped' when m.status = 'queued' then 'pending' else m.status end as status, count(*)::int as n
               from broadcast_recipients r left join messages m on m.id = r.message_id where r.broadcast_id = $1 group by 1`,
              [id],
            )
          ).map((r) => [r.status, r.n]),
        );
      const { stats, counted } = await eventually(
        async () => {
          const before = await recount();
          const body = (await owner.get(`/api/v1/broadcasts/${id}`)).body;
          const after = await recount();
          return JSON.stringify(before) === JSON.stringify(after) ? { stats: body.stats, counted: after } : undefined;
        },
        { timeoutMs: 10_000, what: 'a recount unchanged across the API read' },
      );
      const apiCounts = Object.fromEntries(Object.entries(stats.byStatus as Record<string, number>).filter(([, n]) => n > 0));
      expect(apiCounts).toEqual(counted);
      expect(stats.total).toBe(REACHABLE + OPTED_OUT);
      expect(stats.byStatus.pending).toBe(0);
      expect(stats.byStatus.failed).toBe(0);
      expect(stats.byStatus.skipped).toBe(OPTED_OUT);
      expect(stats.skippedByReason.opted_out).toBe(OPTED_OUT);
      expect(stats.byStatus.sent + stats.byStatus.delivered + stats.byStatus.read).toBe(REACHABLE);
      expect(stats.percentDone).toBe(100);
      expect(finished.stats.byStatus.pending).toBe(0);

      const [timing] = await cluster.sql<{ lastSent: Date; finished: Date }>(
        `select (select max((status_times ->> 'sent')::timestamptz) from messages where channel_id = $1 and idempotency_key like $2) as "lastSent",
              (select finished_at from broadcasts where id = $3) as finished`,
        [channelId, keyPrefix, id],
      );
      console.info(
        `[broadcast sigkill] killed the connector with ${atKill.sent}/${REACHABLE} sent, ${atKill.recorded} recorded, ${atKill.inFlight} in flight, ${atKill.pendingRecipients} recipients pending and ${atKill.activeBatchJobs} batch jobs active; ` +
          `the new connector took batch jobs ${replacedMs} ms after the kill; last message sent ${timing!.lastSent.getTime() - killed.at} ms and the broadcast completed ${timing!.finished.getTime() - killed.at} ms after the kill (seen ${recoveredMs} ms); ${resent.length} messages resent after an interrupted attempt`,
      );
    },
    RECOVERY_DEADLINE_MS + PROCESS_READY_MS,
  );
});
