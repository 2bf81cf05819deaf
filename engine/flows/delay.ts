import { nextOpeningAt } from './business-hours.ts';
import { durationToMs } from './duration.ts';
import { DEFAULT_BUSINESS_HOURS, type WeeklyHours } from './nodes/business-hours.node.ts';
import type { DelayConfig } from './nodes/delay.node.ts';
import { addDays, instantsForWallTime, minutesOfDay, zonedParts } from './zoned-time.ts';

/** What a delay needs from the run besides its config. */
export interface DelayContext {
  now: Date;
  /** Used when the node's config names no time zone. */
  workspaceTimeZone: string;
  /** The workspace's business hours, for `until_open` (DEFAULT_BUSINESS_HOURS when absent). */
  workspaceBusinessHours?: WeeklyHours | null | undefined;
}

/**
 * When a delay node is due: `now` plus the duration, or the next instant strictly after `now`
 * at which the wall clock in the time zone reads the configured time (a time that falls in a
 * spring-forward gap resolves to the same distance after the gap; in a fall-back overlap, the
 * first occurrence still in the future).
 */
export function computeDelayDueAt(config: DelayConfig, context: DelayContext): Date {
  if (config.mode === 'duration') return new Date(context.now.getTime() + durationToMs(config.duration));
  if (config.mode === 'until_open')
    return nextOpeningAt(context.workspaceBusinessHours ?? DEFAULT_BUSINESS_HOURS, context.now, context.workspaceTimeZone) ?? context.now;
  const timeZone = config.timezone ?? context.workspaceTimeZone;
  const local = zonedParts(context.now, timeZone);
  const today = { year: local.year, month: local.month, day: local.day };
  const minute = minutesOfDay(config.time);
  // Today, or tomorrow, or (across a skipped calendar day, as Samoa did in 2011) the day after.
  for (let days = 0; days <= 2; days += 1) {
    const candidate = instantsForWallTime(addDays(today, days), minute, timeZone).find((t) => t.getTime() > context.now.getTime());
    if (candidate) return candidate;
  }
  throw new RangeError(`no instant reads ${config.time} in ${timeZone} within two days of ${context.now.toISOString()}`);
}
