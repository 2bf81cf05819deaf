import type { WeeklyHours } from './nodes/business-hours.node.ts';
import { minutesOfDay, zonedParts } from './zoned-time.ts';

/**
 * Whether the weekly opening hours are open at `instant`, reading the wall clock in `timeZone`
 * (so 09:00 means 09:00 local on both sides of a daylight-saving change). An interval includes
 * its start and excludes its end.
 */
export function isOpenAt(hours: WeeklyHours, instant: Date, timeZone: string): boolean {
  const local = zonedParts(instant, timeZone);
  const minute = local.hour * 60 + local.minute;
  return hours[local.weekday].some((interval) => minute >= minutesOfDay(interval.from) && minute < minutesOfDay(interval.to));
}
