import { z } from 'zod';

/**
 * Wall-clock arithmetic in IANA time zones through `Intl` only, so that the editor (browser) and
 * the engine (Node) compute the same answers without a time-zone library.
 */

/** True when `Intl` knows the IANA time zone name (e.g. "Europe/Paris", "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name that this runtime's `Intl` accepts. */
export const TimeZoneSchema = z.string().min(1).max(64).refine(isValidTimeZone, 'must be an IANA time zone such as "Europe/Paris"');

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
/** A wall-clock time "HH:MM" in 24-hour form, 00:00 to 23:59. */
export const TimeOfDaySchema = z.string().regex(TIME_OF_DAY, 'must be a time "HH:MM" between 00:00 and 23:59');

/** Minutes since midnight of a "HH:MM" (or "24:00") string. */
export function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The wall-clock reading of an instant in a time zone. */
export interface ZonedParts {
  year: number;
  /** 1 to 12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: Weekday;
}

const WEEKDAY_BY_SHORT_NAME: Record<string, Weekday> = {
  Mon: 'monday',
  Tue: 'tuesday',
  Wed: 'wednesday',
  Thu: 'thursday',
  Fri: 'friday',
  Sat: 'saturday',
  Sun: 'sunday',
};

// A formatter costs far more to build than to use; this cache only memoises pure values.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Reads the wall clock of `instant` in `timeZone`. */
export function zonedParts(instant: Date, timeZone: string): ZonedParts {
  const values: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) values[part.type] = part.value;
  return {
    year: Number(values.year),
    month: Number(values.month),
    day: Number(values.day),
    hour: Number(values.hour),
    minute: Number(values.minute),
    second: Number(values.second),
    weekday: WEEKDAY_BY_SHORT_NAME[values.weekday ?? ''] ?? 'monday',
  };
}

/** The zone's offset from UTC at `instant`, in milliseconds (east positive), to the second. */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const wallAsUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const instantToTheSecond = Math.floor(instant.getTime() / 1000) * 1000;
  return wallAsUtc - instantToTheSecond;
}

/** A calendar date without a time zone. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/**
 * The instants at which the wall clock of `timeZone` reads `date` at `minuteOfDay`, earliest
 * first: one normally, two in a fall-back overlap. In a spring-forward gap the wall time does not
 * exist, and the answer is the instant the same distance after the gap's start (02:30 in a gap
 * from 02:00 to 03:00 gives 03:30), as most calendars do.
 */
export function instantsForWallTime(date: LocalDate, minuteOfDay: number, timeZone: string): Date[] {
  const wallAsUtc = Date.UTC(date.year, date.month - 1, date.day, 0, minuteOfDay);
  // Offsets in force around this wall time; a zone changes its offset at most once a day.
  const DAY_MS = 86_400_000;
  const offsets = new Set([
    zoneOffsetMs(new Date(wallAsUtc - DAY_MS), timeZone),
    zoneOffsetMs(new Date(wallAsUtc), timeZone),
    zoneOffsetMs(new Date(wallAsUtc + DAY_MS), timeZone),
  ]);
  const matches: number[] = [];
  for (const offset of offsets) {
    const candidate = wallAsUtc - offset;
    if (zoneOffsetMs(new Date(candidate), timeZone) === offset) matches.push(candidate);
  }
  if (matches.length === 0) {
    // A gap: clocks jumped forward; the smaller offset was in force just before the jump.
    matches.push(wallAsUtc - Math.min(...offsets));
  }
  return [...new Set(matches)].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/** The calendar date `days` after `date` (negative goes back). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
