/**
 * A five-field cron expression (minute hour day-of-month month day-of-week) as BullMQ's job
 * schedulers accept it. Seconds are not offered: a flow scheduled every second is a mistake.
 */
interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

function valueOf(token: string, field: CronField): number | null {
  if (/^\d{1,2}$/.test(token)) {
    const n = Number(token);
    return n >= field.min && n <= field.max ? n : null;
  }
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index === -1) return null;
  // Month names count from 1 (JAN); day names from 0 (SUN).
  return field.name === 'month' ? index + 1 : index;
}

function itemError(item: string, field: CronField): string | null {
  const [range, step, ...extra] = item.split('/');
  if (extra.length > 0 || range === undefined || range === '') return `"${item}" is not a valid ${field.name}`;
  if (step !== undefined && !/^[1-9]\d{0,1}$/.test(step)) return `"${step}" is not a valid step for the ${field.name}`;
  if (range === '*' || (range === '?' && field.name.startsWith('day of'))) return null;
  const bounds = range.split('-');
  if (bounds.length > 2) return `"${item}" is not a valid ${field.name}`;
  const values = bounds.map((b) => valueOf(b, field));
  if (values.some((v) => v === null)) return `"${item}" is outside the ${field.name} range ${field.min}-${field.max}`;
  if (values.length === 2 && (values[0] as number) > (values[1] as number)) return `"${item}" is a range that runs backwards`;
  return null;
}

/** Checks a five-field cron expression; returns the reason it is wrong, or null. */
export function cronError(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== FIELDS.length)
    return `a cron expression has ${FIELDS.length} fields (minute hour day-of-month month day-of-week), this one has ${fields.length}`;
  for (const [i, text] of fields.entries()) {
    const field = FIELDS[i] as CronField;
    for (const item of text.split(',')) {
      const error = itemError(item, field);
      if (error !== null) return error;
    }
  }
  return null;
}
