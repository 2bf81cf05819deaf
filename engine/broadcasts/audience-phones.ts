import { toE164 } from '../contacts/phone.ts';
import type { BroadcastProblem } from './broadcast-problem.ts';

/** At most this many bad lines are reported one by one; the rest are counted. */
const MAX_PHONE_PROBLEMS = 20;

/**
 * The phones of an explicit audience, normalised to E.164 and without repeats, or every line
 * that is not a phone (the first MAX_PHONE_PROBLEMS of them, then a count).
 */
export function audiencePhones(audience: { kind: 'phones'; phones: readonly string[] } | { kind: 'csv'; csv: string }): {
  phones: string[];
  problems: BroadcastProblem[];
} {
  const entries =
    audience.kind === 'phones'
      ? audience.phones.map((value, i) => ({ value, path: `audience.phones.${i}`, label: `entry ${i + 1}` }))
      : csvPhoneCells(audience.csv);
  if ('problem' in entries) return { phones: [], problems: [entries.problem] };
  const phones = new Set<string>();
  const problems: BroadcastProblem[] = [];
  let bad = 0;
  for (const entry of entries) {
    const phone = toE164(entry.value);
    if (phone !== null) {
      phones.add(phone);
      continue;
    }
    bad += 1;
    if (bad <= MAX_PHONE_PROBLEMS)
      problems.push({
        code: 'phone_invalid',
        message: `${entry.label}: "${entry.value.slice(0, 40)}" is not a phone number in international form (+15551234567)`,
        path: entry.path,
      });
  }
  if (bad > MAX_PHONE_PROBLEMS)
    problems.push({
      code: 'phone_invalid',
      message: `${bad - MAX_PHONE_PROBLEMS} more entries are not phone numbers`,
      path: audience.kind === 'phones' ? 'audience.phones' : 'audience.csv',
    });
  return { phones: [...phones], problems };
}

/** Splits one CSV line, honouring double quotes ("a,b" and "" inside quotes). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === ';') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

/**
 * The phone cell of each CSV line: the column headed "phone" (any case) when the first line is a
 * header, else the first column. Blank lines are ignored.
 */
function csvPhoneCells(csv: string): { value: string; path: string; label: string }[] | { problem: BroadcastProblem } {
  const lines = csv.split(/\r?\n/);
  const first = csvCells(lines[0] ?? '');
  const headerIndex = first.findIndex((c) => /^(phone|phone number|mobile|number|msisdn)$/i.test(c));
  const looksLikeHeader =
    headerIndex !== -1 || (first.length > 0 && first.every((c) => c !== '' && toE164(c) === null && !/\d{5}/.test(c)));
  if (looksLikeHeader && headerIndex === -1 && first.length > 1) {
    return {
      problem: {
        code: 'csv_invalid',
        message: `the CSV has a header but no "phone" column (columns: ${first.slice(0, 10).join(', ')})`,
        path: 'audience.csv',
      },
    };
  }
  const column = Math.max(0, headerIndex);
  const cells: { value: string; path: string; label: string }[] = [];
  lines.forEach((line, i) => {
    if ((i === 0 && looksLikeHeader) || line.trim() === '') return;
    cells.push({ value: csvCells(line)[column] ?? '', path: 'audience.csv', label: `line ${i + 1}` });
  });
  return cells;
}
