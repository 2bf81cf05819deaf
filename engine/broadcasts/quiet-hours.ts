import { addDays, instantsForWallTime, minutesOfDay, zonedParts } from '../flows/zoned-time.ts';

/** A daily window, "HH:MM" to "HH:MM" on the wall clock; it crosses midnight when start > end. */
export interface QuietWindow {
  start: string;
  end: string;
}

/**
 * When `instant` falls inside the quiet window on `timeZone`'s wall clock, the instant the window
 * ends (the first moment a message may leave); null when a message may leave now.
 */
export function quietUntil(instant: Date, window: QuietWindow, timeZone: string): Date | null {
  const parts = zonedParts(instant, timeZone);
  const now = parts.hour * 60 + parts.minute;
  const start = minutesOfDay(window.start);
  const end = minutesOfDay(window.end);
  const crossesMidnight = start > end;
  const inside = crossesMidnight ? now >= start || now < end : now >= start && now < end;
  if (!inside) return null;
  const today = { year: parts.year, month: parts.month, day: parts.day };
  // The window ends today, unless it started today and crosses midnight.
  const endDate = crossesMidnight && now >= start ? addDays(today, 1) : today;
  const ends = instantsForWallTime(endDate, end, timeZone);
  const first = ends[0] as Date;
  // The end is never before the instant (a fall-back overlap can repeat a wall time).
  return first.getTime() > instant.getTime()
    ? first
    : (ends.find((d) => d.getTime() > instant.getTime()) ?? new Date(instant.getTime() + 60_000));
}
