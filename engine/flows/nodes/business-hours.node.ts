import { z } from 'zod';
import { defineNode } from '../node-definition.ts';
import { minutesOfDay, TimeOfDaySchema, TimeZoneSchema, WEEKDAYS, type Weekday } from '../zoned-time.ts';

/** Opening interval within one day; `to` may be "24:00". Overnight hours are two intervals on two days. */
export const OpeningIntervalSchema = z
  .strictObject({ from: TimeOfDaySchema, to: z.union([TimeOfDaySchema, z.literal('24:00')]) })
  .refine((i) => minutesOfDay(i.to) > minutesOfDay(i.from), { message: '"to" must be later than "from"', path: ['to'] });
export type OpeningInterval = z.output<typeof OpeningIntervalSchema>;

const DayIntervalsSchema = z.array(OpeningIntervalSchema).max(6).default([]);

export const WeeklyHoursSchema = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((day) => [day, DayIntervalsSchema])) as Record<Weekday, typeof DayIntervalsSchema>,
);
export type WeeklyHours = z.output<typeof WeeklyHoursSchema>;

/**
 * A workspace's business hours as stored (its `business_hours` column): the shape only. The input
 * rules (times "HH:MM", "to" after "from") were checked when an admin saved them; a row read on
 * every inbound message is not checked again.
 */
export const StoredWeeklyHoursSchema = z.object(
  Object.fromEntries(WEEKDAYS.map((day) => [day, z.array(z.object({ from: z.string(), to: z.string() }))])) as Record<
    Weekday,
    z.ZodArray<z.ZodObject<{ from: z.ZodString; to: z.ZodString }>>
  >,
) satisfies z.ZodType<WeeklyHours>;

export const BusinessHoursConfigSchema = z.strictObject({
  /** The workspace's time zone when absent. */
  timezone: TimeZoneSchema.optional(),
  /** The workspace's business hours (Settings → Workspace) when absent. */
  hours: WeeklyHoursSchema.optional(),
});
export type BusinessHoursConfig = z.output<typeof BusinessHoursConfigSchema>;

const OFFICE_DAY = [{ from: '09:00', to: '17:00' }];

/** A workspace's business hours until an admin sets them: Monday to Friday, 09:00 to 17:00. */
export const DEFAULT_BUSINESS_HOURS: WeeklyHours = {
  monday: OFFICE_DAY,
  tuesday: OFFICE_DAY,
  wednesday: OFFICE_DAY,
  thursday: OFFICE_DAY,
  friday: OFFICE_DAY,
  saturday: [],
  sunday: [],
};

export const businessHoursNode = defineNode({
  type: 'business_hours',
  category: 'logic',
  label: 'Business hours',
  description: "Goes one way during opening hours (the workspace's, or the node's own) and the other way outside them.",
  configSchema: BusinessHoursConfigSchema,
  defaultConfig: {},
  waits: false,
  outputs: () => [
    { id: 'open', label: 'Open' },
    { id: 'closed', label: 'Closed' },
  ],
});
