import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { firstIdAt } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/**
 * Inbound messages looked at per reading, newest first: a sample that bounds the reading's cost
 * on a busy installation (at 20 messages/s a 2 s window holds 40).
 */
export const LATENCY_SAMPLE_MESSAGES = 500;

/**
 * One recent inbound message, as the pipeline recorded it: when it was accepted, and when it was
 * done with (its first reply sent or failed; with no reply, when the engine handled it). Epoch ms.
 */
export interface InboundLatencySample {
  receivedMs: number;
  /** null: still on its way (not handled yet, or its reply not sent yet). */
  doneMs: number | null;
}

export interface InboundLatencyReading {
  /** The database's clock when it was read, epoch ms: a pending message's age is `nowMs - receivedMs`. */
  nowMs: number;
  samples: InboundLatencySample[];
}

const Row = z.object({ receivedMs: z.number(), doneMs: z.number().nullable(), nowMs: z.number() });

/*
 * Every inbound message of the installation (all workspaces: they share the database the sweep
 * loads) accepted since :since, found through the primary key (the product's ids are UUIDv7,
 * time-ordered: a range scan of the newest index pages; `created_at` keeps a row with an id of
 * another kind out), and the replies their runs queued since then (the outbound
 * rows of the same window, to their run by its primary key, to the inbound message by the run's
 * trigger). Timestamps are those the pipeline writes anyway: `received` when the inbound pipeline
 * accepted it, `handled_at` when the engine's drain took it, `sent`/`failed` when the send worker
 * recorded the reply. A reply queued later than the window (a flow that waits minutes) is not
 * counted: its message is done when it was handled.
 */
const RECENT_INBOUND_SQL = `
with inbound as (
  select i.id, coalesce(cast(i.status_times ->> 'received' as timestamptz), i.created_at) as received, i.handled_at
    from messages i
   where i.id >= cast(:firstId as uuid) and i.created_at >= cast(:since as timestamptz) and i.direction = 'inbound'
   order by i.id desc
   limit :limit
),
replies as (
  select cast(r.trigger ->> 'messageId' as uuid) as inbound_id,
         min(coalesce(cast(o.status_times ->> 'sent' as timestamptz), cast(o.status_times ->> 'failed' as timestamptz))) as done,
         bool_or(o.status = 'queued') as pending
    from messages o
    join runs r on r.id = o.run_id
   where o.id >= cast(:firstId as uuid) and o.created_at >= cast(:since as timestamptz) and o.direction = 'outbound' and r.trigger ->> 'kind' = 'message'
   group by 1
)
select cast(extract(epoch from i.received) * 1000 as float8) as "receivedMs",
       cast(extract(epoch from case when p.inbound_id is null then i.handled_at
                                    when p.done is not null then p.done
                                    when p.pending then null
                                    else i.handled_at end) * 1000 as float8) as "doneMs",
       cast(extract(epoch from clock_timestamp()) * 1000 as float8) as "nowMs"
  from inbound i
  left join replies p on p.inbound_id = i.id`;

/** The latency of the inbound messages accepted since `since` (at most LATENCY_SAMPLE_MESSAGES of the newest). */
export async function readInboundLatency(em: EntityManager, since: Date): Promise<InboundLatencyReading> {
  // Planned per call: the window's bounds move, and the statistics of a table being swept do too.
  const { rows } = await runSql(em, RECENT_INBOUND_SQL, { firstId: firstIdAt(since), since, limit: LATENCY_SAMPLE_MESSAGES }, { planEachCall: true });
  const parsed = rows.map((row) => Row.parse(row));
  const nowMs = parsed[0]?.nowMs ?? Date.now();
  return { nowMs, samples: parsed.map(({ receivedMs, doneMs }) => ({ receivedMs, doneMs })) };
}
