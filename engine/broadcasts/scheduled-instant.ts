import type { BroadcastSchedule } from './broadcast-spec.ts';
import { instantsForWallTime } from '../flows/zoned-time.ts';

/** The instant a one-off schedule starts at: now, or its local time in its time zone (the earlier instant of an overlap). */
export function scheduledInstant(schedule: Exclude<BroadcastSchedule, { kind: 'recurring' }>, now: Date): Date {
  if (schedule.kind === 'now') return now;
  const [date = '', time = ''] = schedule.localTime.split('T');
  const [year, month, day] = date.split('-').map(Number);
  const [hours, minutes] = time.split(':').map(Number);
  return instantsForWallTime(
    { year: year ?? 0, month: month ?? 1, day: day ?? 1 },
    (hours ?? 0) * 60 + (minutes ?? 0),
    schedule.timezone,
  )[0] as Date;
}
