import { z } from 'zod';
import {
  AudienceSchema,
  BroadcastContentSchema,
  BroadcastScheduleSchema,
  QuietHoursSchema,
} from '../../engine/broadcasts/broadcast-spec.ts';
import { BROADCAST_STATES, RECIPIENT_STATUSES, SKIP_REASONS } from '../../engine/broadcasts/broadcast-state.ts';

/** A contact as a segment preview or a recipient list shows it. */
export const AudienceContactDto = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  tags: z.array(z.string()),
});

/** `POST /v1/segments/preview`: how many contacts match, how many of them could not be messaged and why, the first 20. */
export const SegmentPreviewDto = z.object({
  /** Contacts the rule matches, reachable or not. */
  count: z.number().int(),
  /** Of those, the ones a broadcast would skip, by reason. */
  excluded: z.object({ opted_out: z.number().int(), restricted: z.number().int(), erased: z.number().int() }),
  /** The first 20 matching contacts, oldest first. */
  sample: z.array(AudienceContactDto),
});
export type SegmentPreviewDto = z.infer<typeof SegmentPreviewDto>;

export const BroadcastStatsDto = z.object({
  /** Recipient rows snapshotted (0 before the broadcast starts). */
  total: z.number().int(),
  byStatus: z.record(z.enum(RECIPIENT_STATUSES), z.number().int()),
  skippedByReason: z.record(z.enum(SKIP_REASONS), z.number().int()),
  /** Recipients who opted out (a STOP reply) after this broadcast reached them. */
  optedOutAfter: z.number().int(),
  /** Recipients no longer pending, in percent of the total (100 when there are none). */
  percentDone: z.number(),
  /** From the pending count and the effective pace; null when not running. */
  estimatedFinishAt: z.string().nullable(),
});
export type BroadcastStatsDto = z.infer<typeof BroadcastStatsDto>;

export const BroadcastDto = z.object({
  id: z.uuid(),
  name: z.string(),
  channelId: z.uuid(),
  audience: AudienceSchema,
  content: BroadcastContentSchema,
  /**
   * A template broadcast's template version, recorded when it started: every recipient gets
   * that version (null until it starts: a scheduled broadcast sends the version current then).
   */
  templateVersion: z.object({ id: z.uuid(), version: z.number().int() }).nullable(),
  schedule: BroadcastScheduleSchema,
  quietHours: QuietHoursSchema.nullable(),
  pacePerMinute: z.number().int().nullable(),
  state: z.enum(BROADCAST_STATES),
  /** Why it is in its state: a failure, a wait (`channel_not_connected`), a pause by whom. */
  stateReason: z.string().nullable(),
  /** A recurring broadcast's occurrences point to it. */
  parentId: z.uuid().nullable(),
  /** When it starts (once), or its next occurrence (recurring); null otherwise. */
  nextRunAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  stats: BroadcastStatsDto,
});
export type BroadcastDto = z.infer<typeof BroadcastDto>;

export const BroadcastRecipientDto = z.object({
  id: z.uuid(),
  contact: AudienceContactDto,
  status: z.enum(RECIPIENT_STATUSES),
  skipReason: z.enum(SKIP_REASONS).nullable(),
  failureReason: z.string().nullable(),
  messageId: z.uuid().nullable(),
  runId: z.uuid().nullable(),
  updatedAt: z.string(),
});
export type BroadcastRecipientDto = z.infer<typeof BroadcastRecipientDto>;

/** Counts over time for the delivery/read chart: one bucket per minute (or per hour for long broadcasts). */
export const BroadcastTimelineDto = z.object({
  bucketSeconds: z.number().int(),
  buckets: z.array(
    z.object({ at: z.string(), sent: z.number().int(), delivered: z.number().int(), read: z.number().int(), failed: z.number().int() }),
  ),
});
export type BroadcastTimelineDto = z.infer<typeof BroadcastTimelineDto>;

/**
 * What the delivered recipients did next (platform/analytics/broadcast-engagement.sql.ts): the
 * rates' denominator is `delivered`, the "reached at least delivered" number of the stats.
 */
export const BroadcastEngagementDto = z.object({
  delivered: z.number().int(),
  replied: z.number().int(),
  optedOut: z.number().int(),
  /** replied ÷ delivered; null when none was delivered. */
  replyRate: z.number().nullable(),
  /** optedOut ÷ delivered; null when none was delivered. */
  optOutRate: z.number().nullable(),
});
export type BroadcastEngagementDto = z.infer<typeof BroadcastEngagementDto>;

/** How the rates are counted: the windows, and the sentences the editor shows beside them. */
export const EngagementDefinitionsDto = z.object({
  replyWindowHours: z.number().int(),
  optOutWindowDays: z.number().int(),
  replyRate: z.string(),
  optOutRate: z.string(),
});

export const BroadcastEngagementAnswerDto = z.object({ engagement: BroadcastEngagementDto, definitions: EngagementDefinitionsDto });
export type BroadcastEngagementAnswerDto = z.infer<typeof BroadcastEngagementAnswerDto>;

/** One started broadcast in the comparison of recent broadcasts. */
export const BroadcastComparisonItemDto = z.object({
  id: z.uuid(),
  name: z.string(),
  parentId: z.uuid().nullable(),
  state: z.enum(BROADCAST_STATES),
  audienceKind: z.enum(['segment', 'phones', 'csv']),
  contentKind: z.enum(['message', 'template', 'flow']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  stats: BroadcastStatsDto,
  engagement: BroadcastEngagementDto,
});

export const BroadcastComparisonDto = z.object({ items: z.array(BroadcastComparisonItemDto), definitions: EngagementDefinitionsDto });
export type BroadcastComparisonDto = z.infer<typeof BroadcastComparisonDto>;
