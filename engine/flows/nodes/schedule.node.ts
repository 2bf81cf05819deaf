import { z } from 'zod';
import { cronError } from '../cron.ts';
import { defineNode, NEXT_PORT } from '../node-definition.ts';
import { TimeZoneSchema } from '../zoned-time.ts';

export const ScheduleConfigSchema = z.strictObject({
  cron: z
    .string()
    .max(200)
    .superRefine((cron, ctx) => {
      const error = cronError(cron);
      if (error !== null) ctx.addIssue({ code: 'custom', message: error });
    }),
  /** IANA time zone of the cron expression; the workspace's time zone when absent. */
  timezone: TimeZoneSchema.optional(),
});
export type ScheduleConfig = z.output<typeof ScheduleConfigSchema>;

export const scheduleNode = defineNode({
  type: 'schedule',
  category: 'trigger',
  label: 'Schedule',
  description: 'Starts the flow on a cron schedule in a time zone (no contact or message).',
  configSchema: ScheduleConfigSchema,
  defaultConfig: { cron: '0 9 * * 1-5' },
  waits: false,
  outputs: () => [NEXT_PORT],
});
