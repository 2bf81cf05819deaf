/** A day as Mantine's date pickers answer it: a `YYYY-MM-DD` string (or a Date), null when none is picked. */
export type PickedDay = Date | string | null;

/** A picked day as the start of that day in the browser's time zone. */
export function dayStart(value: PickedDay, plusDays = 0): Date | null {
  if (!value) return null;
  const d = typeof value === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00` : value) : new Date(value);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() + plusDays);
  return d;
}

/**
 * A picked range of days as instants: from the first day's start to the start of the day after
 * the last (the last day is included; a single picked day is that day); null before a first day.
 */
export function pickedRange(range: readonly [PickedDay, PickedDay]): { from: Date; to: Date } | null {
  const from = dayStart(range[0]);
  const to = dayStart(range[1] ?? range[0], 1);
  return from && to ? { from, to } : null;
}
