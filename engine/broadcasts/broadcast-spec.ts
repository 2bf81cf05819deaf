import { z } from 'zod';
import { cronError } from '../flows/cron.ts';
import { JsonLogicRuleSchema } from '../flows/json-logic.ts';
import { TimeOfDaySchema, TimeZoneSchema } from '../flows/zoned-time.ts';

/*
 * What a marketer asks of a broadcast, as the API accepts it and the editor builds it. Shapes
 * only: whether the segment's rule is safe, the template's variables known, the time in the
 * future and the channel connected is decided by `checkBroadcastSpec` and at scheduling time.
 */

/** Most phones an explicit audience (list or CSV) may name. */
export const MAX_AUDIENCE_PHONES = 100_000;
/** Largest CSV accepted for an explicit audience, in characters. */
export const MAX_AUDIENCE_CSV_CHARS = 4_000_000;
/** Longest broadcast text template. */
export const MAX_BROADCAST_TEXT_CHARS = 4_096;
/** Fastest pace a marketer may set; the channel's own caps may lower it further. */
export const MAX_PACE_PER_MINUTE = 60_000;

/** A segment: a json-logic rule over `contact` (name, phone, attributes, tags, createdAt, lastSeenAt). */
export const SegmentRuleSchema = JsonLogicRuleSchema;

export const AudienceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('segment'), rule: SegmentRuleSchema }),
  z.strictObject({ kind: z.literal('phones'), phones: z.array(z.string().min(1).max(40)).min(1).max(MAX_AUDIENCE_PHONES) }),
  /** A CSV whose first column (or the column headed "phone") holds the phones. */
  z.strictObject({ kind: z.literal('csv'), csv: z.string().min(1).max(MAX_AUDIENCE_CSV_CHARS) }),
]);
export type Audience = z.infer<typeof AudienceSchema>;

export const BroadcastContentSchema = z.discriminatedUnion('kind', [
  /** A text template (`{{contact.name | "there"}}`), with an optional media URL sent as its caption's carrier. */
  z.strictObject({
    kind: z.literal('message'),
    text: z.string().min(1).max(MAX_BROADCAST_TEXT_CHARS),
    mediaUrl: z.url().max(2_000).optional(),
  }),
  /**
   * A saved template, by reference: each recipient gets the variant of their `language` attribute
   * (else the fallback), filled in for them. The version sent is the one current when the
   * broadcast starts, recorded on it (`templateVersion`): an edit during the sends changes nothing.
   */
  z.strictObject({ kind: z.literal('template'), templateId: z.uuid() }),
  /** Start this published flow once for each recipient. */
  z.strictObject({ kind: z.literal('flow'), flowId: z.uuid() }),
]);
export type BroadcastContent = z.infer<typeof BroadcastContentSchema>;

/** A local date and time "YYYY-MM-DDTHH:MM", read in the schedule's time zone. */
const LocalDateTimeSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$/, 'must be a local date and time "YYYY-MM-DDTHH:MM"');

export const BroadcastScheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('now') }),
  z.strictObject({ kind: z.literal('at'), localTime: LocalDateTimeSchema, timezone: TimeZoneSchema }),
  z.strictObject({
    kind: z.literal('recurring'),
    cron: z
      .string()
      .min(1)
      .max(200)
      .superRefine((cron, ctx) => {
        const error = cronError(cron);
        if (error !== null) ctx.addIssue({ code: 'custom', message: error });
      }),
    timezone: TimeZoneSchema,
  }),
]);
export type BroadcastSchedule = z.infer<typeof BroadcastScheduleSchema>;

/** Hours in which no message of the broadcast leaves; `start` may be after `end` (21:00 to 08:00). */
export const QuietHoursSchema = z
  .strictObject({
    start: TimeOfDaySchema,
    end: TimeOfDaySchema,
    /** Whose clock: the contact's (attribute `timezone`, else the workspace's) or the workspace's. */
    timezone: z.enum(['contact', 'workspace']),
  })
  .refine((q) => q.start !== q.end, { message: 'quiet hours need a start different from their end', path: ['end'] });
export type QuietHours = z.infer<typeof QuietHoursSchema>;

export const BroadcastSpecSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  channelId: z.uuid(),
  audience: AudienceSchema,
  content: BroadcastContentSchema,
  schedule: BroadcastScheduleSchema,
  quietHours: QuietHoursSchema.nullable().default(null),
  /** Messages per minute; null sends as fast as the channel's own pace allows. */
  pacePerMinute: z.number().int().min(1).max(MAX_PACE_PER_MINUTE).nullable().default(null),
});
export type BroadcastSpec = z.output<typeof BroadcastSpecSchema>;
export type BroadcastSpecInput = z.input<typeof BroadcastSpecSchema>;
