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
]);
export type DelayConfig = z.output<typeof DelayConfigSchema>;

export const delayNode = defineNode({
  type: 'delay',
  category: 'logic',
  label: 'Delay',
  description: 'Waits for a duration, or until a time of day, then continues.',
  configSchema: DelayConfigSchema,
  defaultConfig: { mode: 'duration', duration: { amount: 5, unit: 'minutes' } },
  waits: true,
  outputs: () => [NEXT_PORT],
});
