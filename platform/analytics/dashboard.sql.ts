import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../pipeline/run-sql.ts';

/** The dashboard's figures, read from messages and conversations as they are (nothing counted on the hot path). */
export interface Dashboard {
  /** One entry per day of the window, in the workspace's time zone, oldest first (days with none included). */
  messagesPerDay: z.infer<typeof PerDayRow>[];
  /** Conversations with a message in the last 24 hours, and those a person owns or waits for now. */
  activeConversations: z.infer<typeof ActiveRow>;
  /** Seconds from a contact's message to the next answer in its conversation, by who answered. */
  responseTimes: z.infer<typeof ResponseRow>[];
}

// Test-chat contacts never count (contacts.is_test): their ids, a handful per workspace found by
// the partial index contacts_test, are left out of each statement once (an init plan), rather than
// probing the contact of every message counted.
// coalesce: a row whose contact was erased (contact_id null) counts.
const NOT_TEST_CONTACT = (column: string) =>
  `not coalesce(${column} = any(array(select id from contacts where workspace_id = :workspaceId and is_test)), false)`;

// messages_workspace_created (workspace_id, created_at) bounds every scan to the window.
const PER_DAY_SQL = `
  select to_char(d.day, 'YYYY-MM-DD') as day,
         coalesce(sum(m.n) filter (where m.direction = 'inbound'), 0)::int as inbound,
         coalesce(sum(m.n) filter (where m.direction = 'outbound'), 0)::int as outbound
    from generate_series((cast(:now as timestamptz) at time zone :tz)::date - (cast(:days as int) - 1), (cast(:now as timestamptz) at time zone :tz)::date, interval '1 day') as d(day)
    left join (
      select (created_at at time zone :tz)::date as day, direction, count(*) as n
        from messages
       -- From the first day's local midnight.
       where workspace_id = :workspaceId and created_at >= (((cast(:now as timestamptz) at time zone :tz)::date - (cast(:days as int) - 1))::timestamp at time zone :tz)
         and ${NOT_TEST_CONTACT('contact_id')}
       group by 1, 2
    ) m on m.day = d.day::date
   group by d.day
   order by d.day`;
/** `day` is text (to_char); the counts are 0, never null, on a day without messages (coalesce). */
const PerDayRow = z.object({ day: z.string(), inbound: z.number(), outbound: z.number() });

const ACTIVE_SQL = `
  select (select count(*) from conversations where workspace_id = :workspaceId and last_message_at >= cast(:now as timestamptz) - interval '24 hours' and ${NOT_TEST_CONTACT('contact_id')})::int as "last24h",
         (select count(*) from conversations where workspace_id = :workspaceId and state = 'queued' and ${NOT_TEST_CONTACT('contact_id')})::int as queued,
         (select count(*) from conversations where workspace_id = :workspaceId and state = 'assigned' and ${NOT_TEST_CONTACT('contact_id')})::int as assigned`;
const ActiveRow = z.object({ last24h: z.number(), queued: z.number(), assigned: z.number() });

// The first bot or agent message after each inbound one of the window, found through
// messages_conversation (conversation_id, id): one index probe per inbound message.
const RESPONSE_SQL = `
  select a.sender, count(*)::int as answered,
         percentile_cont(0.5) within group (order by extract(epoch from a.created_at - i.created_at))::float as "medianSeconds",
         percentile_cont(0.9) within group (order by extract(epoch from a.created_at - i.created_at))::float as "p90Seconds"
    from messages i
    cross join lateral (
      select o.sender, o.created_at from messages o
       where o.conversation_id = i.conversation_id and o.id > i.id and o.direction = 'outbound' and o.sender in ('bot', 'agent')
       order by o.id limit 1
    ) a
   where i.workspace_id = :workspaceId and i.direction = 'inbound' and i.created_at >= cast(:since as timestamptz) and ${NOT_TEST_CONTACT('i.contact_id')}
   group by a.sender
   order by a.sender`;
/** One row per sender that answered (each group has an answer, so its percentiles are never null). */
const ResponseRow = z.object({
  sender: z.enum(['bot', 'agent']),
  answered: z.number(),
  medianSeconds: z.number(),
  p90Seconds: z.number(),
});

export async function loadDashboard(
  em: EntityManager,
  workspaceId: string,
  opts: { days: number; timeZone: string; now: Date },
): Promise<Dashboard> {
  const since = new Date(opts.now.getTime() - opts.days * 24 * 3600 * 1000);
  const [perDay, active, response] = await Promise.all([
    runSql(em, PER_DAY_SQL, { workspaceId, now: opts.now, tz: opts.timeZone, days: opts.days }, { row: PerDayRow }),
    runSql(em, ACTIVE_SQL, { workspaceId, now: opts.now }, { row: ActiveRow }),
    runSql(em, RESPONSE_SQL, { workspaceId, since }, { row: ResponseRow }),
  ]);
  return { messagesPerDay: perDay.rows, activeConversations: active.rows[0]!, responseTimes: response.rows };
}
