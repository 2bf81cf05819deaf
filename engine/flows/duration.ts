import { z } from 'zod';

export const DURATION_UNITS = ['seconds', 'minutes', 'hours', 'days'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];

const UNIT_MS: Record<DurationUnit, number> = { seconds: 1_000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

/** Longest wait any node may ask for (delay, wait for reply, ask question timeout). */
export const MAX_WAIT_MS = 30 * UNIT_MS.days;
/** Shortest wait: below this a delayed job is no better than running the next step now. */
export const MIN_WAIT_MS = UNIT_MS.seconds;

/** A length of time as the editor shows it: an amount and a unit, between 1 s and 30 days. */
export const DurationSchema = z
  .strictObject({
    amount: z.number().int().positive(),
    unit: z.enum(DURATION_UNITS),
  })
  .refine((d) => durationToMs(d) >= MIN_WAIT_MS && durationToMs(d) <= MAX_WAIT_MS, {
    message: `must be between 1 second and ${MAX_WAIT_MS / UNIT_MS.days} days`,
  });
export type Duration = z.infer<typeof DurationSchema>;

/** Converts a duration into milliseconds. */
export function durationToMs(duration: { amount: number; unit: DurationUnit }): number {
  return duration.amount * UNIT_MS[duration.unit];
}
