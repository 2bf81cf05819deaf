import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { OPT_OUT_ATTRIBUTION_DAYS } from '../broadcasts/broadcast-opt-outs.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** A message from a recipient up to this long after the broadcast was delivered to them is a reply to it. */
export const REPLY_ATTRIBUTION_HOURS = 72;

/**
 * What the delivered recipients of a broadcast did next. Both rates share the denominator of the
 * "reached at least" model (broadcast-numbers.ts in the editor): `delivered` counts the recipients
 * whose message is delivered or read now, so `replied` and `optedOut` are parts of it and a rate
 * never passes 100%.
 *
 * - replied: a delivered recipient who sent any message (a STOP too) in the broadcast's
 *   conversation after it was sent to them and at most REPLY_ATTRIBUTION_HOURS after it was
 *   delivered.
 * - optedOut: a delivered recipient whose opt-out (a STOP reply, an Opt out node of a flow, or one a
 *   member recorded in the editor or the API) came within OPT_OUT_ATTRIBUTION_DAYS after the
 *   broadcast reached them: the opt-out that countBroadcastOptOut records on the recipient row,
 *   the same one as the broadcast's `optedOutAfter`.
 *
 * A flow broadcast's recipients start runs and have no broadcast message: none is delivered in
 * this sense, so their rates are null.
 */
const BroadcastEngagementSchema = z.object({ delivered: z.number(), replied: z.number(), optedOut: z.number() });
export type BroadcastEngagement = z.infer<typeof BroadcastEngagementSchema>;

/*
 * Per recipient: its message by primary key, then one probe of messages_conversation
 * (conversation_id, id) from the broadcast message on (ids are UUIDv7, so later rows sort later)
 * for the first message the contact sent after the broadcast was sent; it is a reply when it came
 * within the window. The probe stops at that first inbound message, so its cost follows the
 * conversation's messages between the broadcast and the contact's next one, not the
 * conversation's length. Sent and delivered times are the timeline's: the first of the message's
 * reached statuses (a read with no delivery report before it counts as delivered then), its
 * recipient's last update when the report came with no time. The status updater writes a sent
 * time no later than the delivered and read ones, so the sent time alone is read when it is there
 * (coalesce stops at it), and the delivered time only for a recipient who wrote (AND stops at a
 * missing reply): parsing status_times is most of a recipient's cost after its two index probes.
 */
export const ENGAGEMENT_SQL = `
  with reached as (
    select r.broadcast_id, r.opted_out_at, r.updated_at, m.id as message_id, m.conversation_id, m.status_times,
           coalesce(cast(m.status_times ->> 'sent' as timestamptz),
                    least(cast(m.status_times ->> 'delivered' as timestamptz), cast(m.status_times ->> 'read' as timestamptz)), r.updated_at) as sent_at
      from broadcast_recipients r
      join messages m on m.id = r.message_id
     where r.broadcast_id = any(cast(:broadcastIds as uuid[])) and r.state = 'queued' and r.run_id is null
       and m.status in ('delivered', 'read')
  )
  select x.broadcast_id as "broadcastId", count(*)::int as delivered,
         count(*) filter (where reply.at is not null
                            and reply.at <= coalesce(least(cast(x.status_times ->> 'delivered' as timestamptz), cast(x.status_times ->> 'read' as timestamptz)), x.updated_at)
                                            + make_interval(hours => :replyHours))::int as replied,
         count(x.opted_out_at)::int as "optedOut"
    from reached x
    left join lateral (
      select i.created_at as at from messages i
       where i.conversation_id = x.conversation_id and i.id > x.message_id and i.direction = 'inbound' and i.created_at >= x.sent_at
       order by i.id limit 1
    ) reply on true
   group by x.broadcast_id`;
/** One row per broadcast with a delivered recipient. */
const EngagementRow = BroadcastEngagementSchema.extend({ broadcastId: z.string() });

/** Delivered, replied and opted-out recipients of several broadcasts, in one statement. */
export async function broadcastEngagement(em: EntityManager, broadcastIds: readonly string[]): Promise<Map<string, BroadcastEngagement>> {
  const byBroadcast = new Map<string, BroadcastEngagement>(broadcastIds.map((id) => [id, { delivered: 0, replied: 0, optedOut: 0 }]));
  if (broadcastIds.length === 0) return byBroadcast;
  // JIT off: the planner's cost of 100k index probes passes jit_above_cost, and compiling the
  // expressions took 2.2 s of a 2.5 s statement on 100k recipients (EXPLAIN ANALYZE in the
  // engagement bench); the probes themselves take a few microseconds each.
  const rows = await em.fork().transactional(async (tx) => {
    await runSql(tx, `set local jit = off`, {});
    return (await runSql(tx, ENGAGEMENT_SQL, { broadcastIds, replyHours: REPLY_ATTRIBUTION_HOURS }, { row: EngagementRow })).rows;
  });
  for (const { broadcastId, ...counts } of rows) byBroadcast.set(broadcastId, counts);
  return byBroadcast;
}

/** The definitions, as the API documents them and the editor shows them. */
export const ENGAGEMENT_DEFINITIONS = {
  replyRate: `Replied ÷ delivered: of the recipients the broadcast was delivered to (delivered or read), the share who sent a message in its conversation after it was sent and at most ${REPLY_ATTRIBUTION_HOURS} hours after it was delivered. A STOP counts as a reply too.`,
  optOutRate: `Opted out ÷ delivered: of the recipients the broadcast was delivered to, the share who opted out (replied STOP or reached an Opt out node) within ${OPT_OUT_ATTRIBUTION_DAYS} days after it was sent to them.`,
} as const;
