import type { Orm } from '../../platform/db/orm.ts';
import { testSql } from '../../test/support/test-sql.ts';

/** The phase's inbound messages: acceptance time and when their drain transaction began, epoch ms. */
const PHASE_INBOUND_SQL = `
select cast(id as text) as id,
       cast(extract(epoch from cast(status_times ->> 'received' as timestamptz)) * 1000 as float8) as "receivedMs",
       cast(extract(epoch from handled_at) * 1000 as float8) as "handledMs"
  from messages
 where workspace_id = :workspaceId and direction = 'inbound' and provider_message_id like :pattern`;

/*
 * Replies sent, with the inbound message that started their run. Read apart from the inbound
 * rows and joined here: a join on runs.trigger ->> 'messageId' (no index, no statistics) made
 * the planner pick a nested loop that ran for minutes on 30,000 rows.
 */
const REPLIES_SQL = `
select r.trigger ->> 'messageId' as "inboundId",
       cast(extract(epoch from cast(o.status_times ->> 'queued' as timestamptz)) * 1000 as float8) as "queuedMs",
       cast(extract(epoch from cast(o.status_times ->> 'sent' as timestamptz)) * 1000 as float8) as "sentMs"
  from messages o
  join runs r on r.id = o.run_id
 where o.workspace_id = :workspaceId and o.direction = 'outbound' and o.created_at >= cast(:since as timestamptz)
   and o.status_times ->> 'sent' is not null`;

export interface PhaseTimings {
  /** Messages of the phase whose reply was recorded sent. */
  replied: number;
  /** Reply sent − inbound received, ms, per message. */
  endToEndMs: number[];
  /** When each of those messages was received (epoch ms), in the same order as endToEndMs. */
  receivedMs: number[];
  /** Inbound received → its drain transaction began (inbox queue wait, waiting behind the conversation). */
  toHandledMs: number[];
  /** Drain transaction began → reply written to the outbox (trigger match, run, steps). */
  handledToQueuedMs: number[];
  /** Reply queued → sent (commit, dispatch to the send queue, waiting there, the send worker). */
  queuedToSentMs: number[];
  /** First acceptance to last reply sent, ms (the product's clock). */
  spanMs: number;
}

/**
 * Reads the product's own timestamps for the messages whose provider id starts with `phase:`.
 * `received` is the inbound pipeline's acceptance time; `handled_at` is the start of the drain
 * transaction that handled the message (Postgres now()); `queued` is when the run wrote the reply
 * to the outbox (in that transaction); `sent` is when the sandbox send worker recorded it sent.
 */
export async function readPhaseTimings(orm: Orm, workspaceId: string, phase: string, since: Date): Promise<PhaseTimings> {
  const inbound = await testSql<{ id: string; receivedMs: number; handledMs: number }>(orm.em.fork(), PHASE_INBOUND_SQL, {
    workspaceId,
    pattern: `${phase}:%`,
  });
  const replies = await testSql<{ inboundId: string; queuedMs: number; sentMs: number }>(orm.em.fork(), REPLIES_SQL, {
    workspaceId,
    since,
  });
  const replyOf = new Map(replies.rows.map((r) => [r.inboundId, r]));
  const timings: PhaseTimings = {
    replied: 0,
    endToEndMs: [],
    receivedMs: [],
    toHandledMs: [],
    handledToQueuedMs: [],
    queuedToSentMs: [],
    spanMs: Number.NaN,
  };
  let first = Infinity;
  let last = -Infinity;
  for (const message of inbound.rows) {
    const reply = replyOf.get(message.id);
    if (!reply) continue;
    timings.replied += 1;
    timings.endToEndMs.push(reply.sentMs - message.receivedMs);
    timings.receivedMs.push(message.receivedMs);
    timings.toHandledMs.push(message.handledMs - message.receivedMs);
    timings.handledToQueuedMs.push(reply.queuedMs - message.handledMs);
    timings.queuedToSentMs.push(reply.sentMs - reply.queuedMs);
    first = Math.min(first, message.receivedMs);
    last = Math.max(last, reply.sentMs);
  }
  if (timings.replied) timings.spanMs = last - first;
  return timings;
}

/** How the phase's messages ended in the engine (a healthy phase: every run completed). */
export async function readRunOutcomes(orm: Orm, workspaceId: string, phase: string): Promise<Record<string, number>> {
  const { rows } = await testSql<{ status: string; n: number }>(
    orm.em.fork(),
    `select r.status, cast(count(*) as int) as n
       from runs r
      where r.trigger ->> 'messageId' in (select cast(i.id as text) from messages i
                                          where i.workspace_id = :workspaceId and i.direction = 'inbound' and i.provider_message_id like :pattern)
      group by 1`,
    { workspaceId, pattern: `${phase}:%` },
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** The `n` slowest replies of a phase: when each was received (epoch ms) and how long it took, slowest first. */
export function slowest(t: Pick<PhaseTimings, 'endToEndMs' | 'receivedMs'>, n: number): { receivedMs: number; endToEndMs: number }[] {
  return t.endToEndMs
    .map((endToEndMs, i) => ({ endToEndMs, receivedMs: t.receivedMs[i]! }))
    .sort((a, b) => b.endToEndMs - a.endToEndMs)
    .slice(0, n);
}
