import type { BroadcastComparisonItem } from '../api/api-types.ts';
import { broadcastNumbers } from './broadcast-numbers.ts';

/**
 * One row of the comparison of recent broadcasts, in the numbers of every other page: sent,
 * delivered and read count "reached at least" (broadcast-numbers.ts), delivered and read as
 * shares of the recipients as on the broadcast's cards; reply and opt-out rates as shares of the
 * delivered (the API's definitions). A share is null when its whole is 0.
 */
export interface ComparisonRow {
  id: string;
  name: string;
  startedAt: string;
  audience: string;
  recipients: number;
  sent: number;
  deliveredShare: number | null;
  readShare: number | null;
  replyRate: number | null;
  optOutRate: number | null;
}

export type ComparisonColumn = 'name' | 'startedAt' | 'recipients' | 'sent' | 'deliveredShare' | 'readShare' | 'replyRate' | 'optOutRate';
export interface ComparisonSort {
  column: ComparisonColumn;
  descending: boolean;
}

const AUDIENCE_WORDS: Record<BroadcastComparisonItem['audienceKind'], string> = {
  segment: 'Segment',
  phones: 'Pasted phones',
  csv: 'CSV file',
};

export function comparisonRow(item: BroadcastComparisonItem): ComparisonRow {
  const n = broadcastNumbers(item.stats);
  const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);
  return {
    id: item.id,
    name: item.name,
    startedAt: item.startedAt,
    audience: AUDIENCE_WORDS[item.audienceKind],
    recipients: n.recipients,
    sent: n.sent,
    deliveredShare: share(n.delivered, n.recipients),
    readShare: share(n.read, n.recipients),
    replyRate: item.engagement.replyRate,
    optOutRate: item.engagement.optOutRate,
  };
}

/** Rows sorted by a column; rows with no value for it (a share of nothing) come last either way, then newest first. */
export function sortRows(rows: readonly ComparisonRow[], sort: ComparisonSort): ComparisonRow[] {
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[sort.column];
    const y = b[sort.column];
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else if (x !== y) {
      return sign * (typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number));
    }
    return b.startedAt.localeCompare(a.startedAt);
  });
}

/** "37%" rounded down, "—" when there is nothing to share: the same figure as percentOf(part, whole) on the broadcast's cards. */
export function shownShare(share: number | null): string {
  return share === null ? '—' : `${Math.floor(share * 100)}%`;
}
