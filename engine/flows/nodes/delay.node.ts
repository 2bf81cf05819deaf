import { z } from 'zod';
import { DurationSchema } from '../duration.ts';
import { defineNode, NEXT_PORT } from '../node-definition.ts';
import { TimeOfDaySchema, TimeZoneSchema } from '../zoned-time.ts';

export const DelayConfigSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('duration'), duration: DurationSchema }),
  z.strictObject({
    mode: z.literal('until_time'),
    /** The next time the wall clock reads this, strictly after the run reaches the node. */
    time: TimeOfDaySchema,
    /** The workspace's time zone when absent. */
    timezone: TimeZoneSchema.optional(),
  }),
  /** Until the workspace's business hours are open (at once when they are). */
  z.strictObject({ mode: z.literal('until_open') }),
]);
export type DelayConfig = z.output<typeof DelayConfigSchema>;

export const delayNode = defineNode({
  type: 'delay',
  category: 'logic',
  label: 'Delay',
  description: "Waits for a duration, until a time of day, or until the workspace's business hours open, then continues.",
  configSchema: DelayConfigSchema,
  defaultConfig: { mode: 'duration', duration: { amount: 5, unit: 'minutes' } },
  waits: true,
  outputs: () => [NEXT_PORT],
});
