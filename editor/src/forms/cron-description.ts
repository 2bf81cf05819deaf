import { cronError } from '../../../engine/flows/cron.ts';

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function listOf(field: string, name: (n: number) => string): string {
  return field
    .split(',')
    .map((item) => {
      const [from, to] = item.split('-');
      const a = /^\d+$/.test(from ?? '') ? name(Number(from)) : (from ?? '');
      if (to === undefined) return a;
      const b = /^\d+$/.test(to) ? name(Number(to)) : to;
      return `${a} to ${b}`;
    })
    .join(', ');
}

const pad = (n: string) => n.padStart(2, '0');

/**
 * A sentence for a five-field cron expression ("At 09:00, Monday to Friday"), or the engine's
 * reason when it is invalid. Covers the common shapes; anything else is spelled field by field.
 */
export function describeCron(expression: string): { ok: boolean; text: string } {
  const error = cronError(expression);
  if (error !== null) return { ok: false, text: error };
  const [minute, hour, dom, month, dow] = expression.trim().split(/\s+/) as [string, string, string, string, string];
  let when: string;
  if (/^\d+$/.test(minute) && /^\d+$/.test(hour)) when = `At ${pad(hour)}:${pad(minute)}`;
  else if (minute.startsWith('*/') && hour === '*') when = `Every ${minute.slice(2)} minutes`;
  else if (minute === '*' && hour === '*') when = 'Every minute';
  else if (/^\d+$/.test(minute) && hour === '*') when = `At minute ${minute} of every hour`;
  else if (/^\d+$/.test(minute) && hour.startsWith('*/')) when = `At minute ${minute} every ${hour.slice(2)} hours`;
  else when = `At minute ${minute}, hour ${hour}`;
  const parts = [when];
  if (dom !== '*' && dom !== '?') parts.push(`on day ${dom} of the month`);
  if (month !== '*') parts.push(`in ${listOf(month, (n) => MONTH_NAMES[n - 1] ?? String(n))}`);
  if (dow !== '*' && dow !== '?') parts.push(listOf(dow, (n) => DAY_NAMES[n] ?? String(n)));
  else if (dom === '*' || dom === '?') parts.push('every day');
  return { ok: true, text: parts.join(', ') };
}
