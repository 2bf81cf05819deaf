import type { WeeklyHours } from './nodes/business-hours.node.ts';
import { addDays, instantsForWallTime, minutesOfDay, WEEKDAYS, zonedParts } from './zoned-time.ts';

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

/**
 * The first instant at or after `now` at which the hours are open: `now` itself when open,
 * else the next interval's start in `timeZone` (within a week and a day); null when the hours
 * are never open.
 */
export function nextOpeningAt(hours: WeeklyHours, now: Date, timeZone: string): Date | null {
  if (isOpenAt(hours, now, timeZone)) return now;
  const local = zonedParts(now, timeZone);
  const today = { year: local.year, month: local.month, day: local.day };
  const todayIndex = WEEKDAYS.indexOf(local.weekday);
  for (let days = 0; days <= 8; days += 1) {
    const weekday = WEEKDAYS[(todayIndex + days) % WEEKDAYS.length]!;
    const starts = hours[weekday].map((i) => minutesOfDay(i.from)).sort((a, b) => a - b);
    for (const minute of starts) {
      // A start skipped by a spring-forward gap resolves after the gap (instantsForWallTime).
      const at = instantsForWallTime(addDays(today, days), minute, timeZone).find((t) => t.getTime() > now.getTime());
      if (at) return at;
    }
  }
  return null;
}
