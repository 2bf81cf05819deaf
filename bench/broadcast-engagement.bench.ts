import { parseArgs } from 'node:util';
import { broadcastEngagement, ENGAGEMENT_SQL, REPLY_ATTRIBUTION_HOURS } from '../platform/analytics/broadcast-engagement.sql.ts';
import { recipientCounts } from '../platform/broadcasts/broadcast-store.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from '../test/support/test-sql.ts';
import { loadAverage, startBench, wholeNumberOption } from './support/bench-process.ts';
import { createWorkspace } from './support/engine-fixture.ts';

const USAGE = `npm run bench -- engagement [options]
  --recipients N   recipients of the measured broadcast (100000)
  --runs N         timed runs of each statement, alternated (3)`;

function progress(line: string): void {
  console.log(`[bench engagement] ${line}`);
}

/** A UUIDv7 of a time, as newId() makes them (ids sort by time), with a random tail. */
const UUID7_AT = (ts: string) =>
  `cast(lpad(to_hex(floor(extract(epoch from ${ts}) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15) as uuid)`;

/**
 * The reply and opt-out rates of a broadcast of N recipients (issue 20): seeded set-based, each
 * recipient's conversation holding two older messages, the broadcast message (delivered, read,
 * sent or failed), and for a quarter a reply 2 h later answered by the bot, for 5% a reply 100 h
 * later (outside the window). Times the engagement statement against the recipient counts that
 * every GET /broadcasts/:id already runs on the same broadcast, alternately.
 */
export async function runEngagementBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      recipients: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '3' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const recipients = wholeNumberOption('recipients', values.recipients, USAGE, 1);
  const runs = wholeNumberOption('runs', values.runs, USAGE, 1);
  const { env, stopListening } = await startBench(progress, ['api']);
  try {
    const ws = await createWorkspace(env, 1);
    const em = env.orm.em.fork();
    const broadcastId = newId();
    const b = { workspaceId: ws.workspaceId, channelId: ws.channelIds[0]!, broadcastId, n: recipients };
    const seeded = performance.now();
    await runSql(
      em,
      `insert into broadcasts (id, workspace_id, name, channel_id, audience, content, schedule, state, started_at, finished_at)
      values (:broadcastId, :workspaceId, 'bench', :channelId, '{"kind":"segment","rule":{"==":[1,1]}}', '{"kind":"message","text":"hi"}', '{"kind":"now"}', 'completed', now() - interval '10 days', now() - interval '10 days')`,
      b,
    );
    await runSql(
      em,
      `create temporary table seed as
      select g as i, gen_random_uuid() as contact_id, gen_random_uuid() as conversation_id from generate_series(1, :n) g`,
      b,
    );
    await runSql(
      em,
      `insert into contacts (id, workspace_id, phone, name) select contact_id, cast(:workspaceId as uuid), '+1300' || lpad(i::text, 7, '0'), 'Contact ' || i from seed`,
      b,
    );
    await runSql(
      em,
      `insert into conversations (id, workspace_id, channel_id, contact_id) select conversation_id, cast(:workspaceId as uuid), cast(:channelId as uuid), contact_id from seed`,
      b,
    );
    // Two older messages per conversation, 20 and 19 days ago.
    await runSql(
      em,
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, created_at)
      select ${UUID7_AT('t.at')}, cast(:workspaceId as uuid), cast(:channelId as uuid), s.conversation_id, s.contact_id, t.direction, t.sender, 'text', 'old', t.status, t.at
        from seed s cross join (values (now() - interval '20 days', 'inbound', 'contact', 'received'), (now() - interval '19 days', 'outbound', 'bot', 'read')) t(at, direction, sender, status)`,
      b,
    );
    // The broadcast message, sent 10 days ago (spread over a minute): 60% read, 20% delivered, 15% sent, 5% failed.
    await runSql(
      em,
      `create temporary table sent as
      select s.*, now() - interval '10 days' + make_interval(secs => (s.i % 60)) as at,
             case when s.i % 20 < 12 then 'read' when s.i % 20 < 16 then 'delivered' when s.i % 20 < 19 then 'sent' else 'failed' end as status
        from seed s`,
      b,
    );
    await runSql(em, `alter table sent add column message_id uuid`, b);
    await runSql(em, `update sent set message_id = ${UUID7_AT('at')}`, b);
    await runSql(
      em,
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, status_times, created_at)
      select message_id, cast(:workspaceId as uuid), cast(:channelId as uuid), conversation_id, contact_id, 'outbound', 'broadcast', 'text', 'hi', status,
             case status when 'failed' then jsonb_build_object('queued', at, 'failed', at)
                         when 'sent' then jsonb_build_object('queued', at, 'sent', at)
                         when 'delivered' then jsonb_build_object('queued', at, 'sent', at, 'delivered', at + interval '1 minute')
                         else jsonb_build_object('queued', at, 'sent', at, 'delivered', at + interval '1 minute', 'read', at + interval '1 hour') end, at
        from sent`,
      b,
    );
    await runSql(
      em,
      `insert into broadcast_recipients (id, broadcast_id, workspace_id, contact_id, batch, state, message_id, opted_out_at, updated_at)
      select gen_random_uuid(), cast(:broadcastId as uuid), cast(:workspaceId as uuid), contact_id, i / 500, 'queued', message_id, case when i % 50 = 0 then at + interval '3 hours' end, at from sent`,
      b,
    );
    // A quarter reply 2 h later and the bot answers; 5% reply 100 h later.
    await runSql(
      em,
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, created_at)
      select ${UUID7_AT('t.at')}, cast(:workspaceId as uuid), cast(:channelId as uuid), s.conversation_id, s.contact_id, t.direction, t.sender, 'text', 'reply', t.status, t.at
        from sent s cross join lateral (values (s.at + interval '2 hours', 'inbound', 'contact', 'received'), (s.at + interval '2 hours 1 second', 'outbound', 'bot', 'read')) t(at, direction, sender, status)
       where s.i % 4 = 0
      union all
      select ${UUID7_AT("s.at + interval '100 hours'")}, cast(:workspaceId as uuid), cast(:channelId as uuid), s.conversation_id, s.contact_id, 'inbound', 'contact', 'text', 'late', 'received', s.at + interval '100 hours'
        from sent s where s.i % 20 = 1`,
      b,
    );
    for (const table of ['contacts', 'conversations', 'messages', 'broadcast_recipients']) await runSql(em, `analyze ${table}`);
    const total = (await testSql<{ n: string }>(em, `select count(*) as n from messages`)).rows[0]!.n;
    progress(
      `seeded ${recipients} recipients and ${total} messages in ${Math.round((performance.now() - seeded) / 1000)} s; load ${loadAverage()}`,
    );

    const timed = async (f: () => Promise<unknown>) => {
      const start = performance.now();
      const result = await f();
      return { ms: Math.round(performance.now() - start), result };
    };
    const baseline: number[] = [];
    const engagement: number[] = [];
    for (let run = 0; run < runs; run++) {
      const counts = await timed(() => recipientCounts(env.orm.em.fork(), [broadcastId]));
      const rates = await timed(() => broadcastEngagement(env.orm.em.fork(), [broadcastId]));
      baseline.push(counts.ms);
      engagement.push(rates.ms);
      progress(
        `run ${run + 1}: recipient counts ${counts.ms} ms, engagement ${rates.ms} ms ${JSON.stringify((rates.result as Map<string, unknown>).get(broadcastId))}; load ${loadAverage()}`,
      );
    }
    // The plan the figures come from, for a reader checking that each recipient costs index probes only.
    const plan = await env.orm.em.fork().transactional(async (tx) => {
      await runSql(tx, `set local jit = off`, {});
      return testSql<{ 'QUERY PLAN': string }>(tx, `explain (analyze, buffers) ${ENGAGEMENT_SQL}`, {
        broadcastIds: [broadcastId],
        replyHours: REPLY_ATTRIBUTION_HOURS,
      });
    });
    progress(`plan (jit off, as broadcastEngagement runs it):\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
    console.log(JSON.stringify({ bench: 'engagement', recipients, recipient_counts_ms: baseline, engagement_ms: engagement }));
  } finally {
    stopListening();
    await env.cleanup();
  }
}
