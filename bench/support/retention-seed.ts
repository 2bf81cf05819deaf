import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/** Conversations the seeded messages are spread over; runs: one per this many messages, with 3 steps. */
export const DATA_CONTACTS = 2_000;
export const MESSAGES_PER_RUN = 20;
export const STEPS_PER_RUN = 3;
/** One message in this many carries a media file row (the files themselves are not written). */
export const MESSAGES_PER_MEDIA = 49;

/** SQL: a UUIDv7 for the instant `at` (48-bit Unix milliseconds, version 7, random bits), as platform/ids.ts makes them. */
export const UUID_V7_AT = (at: string) =>
  `cast(encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing substring(int8send(cast(floor(extract(epoch from ${at}) * 1000) as bigint)) from 3) from 1 for 6), 52, 1), 53, 1), 'hex') as uuid)`;

/**
 * SQL: the time of row `i` of `n` (both SQL expressions). `halves`: rows up to n/2 60 days old, the
 * others 1 day old, close together; `uniform`: evenly over the last `spanDays` days, oldest first.
 */
export type SeedLayout = { kind: 'halves' } | { kind: 'uniform'; spanDays: number };

function timeOf(layout: SeedLayout, i: string, n: string): string {
  if (layout.kind === 'uniform')
    return `now() - make_interval(days => ${layout.spanDays}) + make_interval(secs => cast(${i} as float8) * ${layout.spanDays * 86_400} / ${n})`;
  return `case when ${i} <= ${n} / 2 then now() - interval '60 days' + make_interval(secs => ${i} * 0.01) else now() - interval '1 day' + make_interval(secs => (${i} - ${n} / 2) * 0.01) end`;
}

export interface SeedTarget {
  workspaceId: string;
  channelId: string;
  flowId: string;
  versionId: string;
}

/**
 * Seeds a workspace's channel with DATA_CONTACTS contacts and conversations, `messages` messages
 * (one in MESSAGES_PER_MEDIA with a media row), one finished run per MESSAGES_PER_RUN messages with
 * STEPS_PER_RUN steps, set-based (INSERT … SELECT generate_series). Rows are inserted in time
 * order with UUIDv7 ids of their time, as the product writes them, so every time-ordered index
 * appends instead of splitting pages: 2,000,000 messages take minutes, not tens of minutes.
 */
export async function seedRetentionData(em: EntityManager, t: SeedTarget, messages: number, layout: SeedLayout): Promise<void> {
  const b = { workspaceId: t.workspaceId, channelId: t.channelId };
  await runSql(
    em,
    `insert into contacts (id, workspace_id, phone, name) select gen_random_uuid(), :workspaceId, '+1777' || lpad(cast(i as text), 7, '0'), 'Data ' || i from generate_series(1, :n) i`,
    { ...b, n: DATA_CONTACTS },
  );
  await runSql(
    em,
    `insert into conversations (id, workspace_id, channel_id, contact_id, last_message_at) select gen_random_uuid(), workspace_id, :channelId, id, now() from contacts where workspace_id = :workspaceId and phone like '+1777%'`,
    b,
  );
  const conv = `with conv as (select id, contact_id, row_number() over (order by id) - 1 as k from conversations where workspace_id = :workspaceId and channel_id = :channelId)`;
  await runSql(
    em,
    `${conv}
     insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, media, status, handled_at, created_at)
     select ${UUID_V7_AT('t')}, :workspaceId, :channelId, conv.id, conv.contact_id, 'inbound', 'contact', 'text', 'message number ' || i,
            case when i % :perMedia = 0 then jsonb_build_object('storageKey', :channelId || '/m' || i || '.jpg', 'sizeBytes', 20000) end,
            'received', t, t
       from generate_series(1, :messages) i join conv on conv.k = i % :contacts
       cross join lateral (select ${timeOf(layout, 'i', ':messages')} as t) at
      order by i`,
    { ...b, messages, perMedia: MESSAGES_PER_MEDIA, contacts: DATA_CONTACTS },
  );
  const runs = Math.floor(messages / MESSAGES_PER_RUN);
  await runSql(
    em,
    `${conv}
     insert into runs (id, workspace_id, flow_id, flow_version_id, contact_id, conversation_id, channel_id, status, started_at, updated_at, ended_at)
     select ${UUID_V7_AT('t')}, :workspaceId, :flowId, :versionId, conv.contact_id, conv.id, :channelId, 'completed', t, t, t
       from generate_series(1, :runs) i join conv on conv.k = i % :contacts
       cross join lateral (select ${timeOf(layout, 'i', ':runs')} as t) at
      order by i`,
    { ...b, flowId: t.flowId, versionId: t.versionId, runs, contacts: DATA_CONTACTS },
  );
  await runSql(
    em,
    `insert into run_steps (id, workspace_id, run_id, seq, node_id, node_type, input, output, started_at, finished_at)
     select ${UUID_V7_AT('r.started_at')}, r.workspace_id, r.id, s, 'n' || s, 'send_message', '{"text":"hello"}', '{"sent":true}', r.started_at, r.started_at
       from runs r cross join generate_series(1, :steps) s where r.workspace_id = :workspaceId order by r.id, s`,
    { ...b, steps: STEPS_PER_RUN },
  );
  await runSql(em, `analyze`);
}
