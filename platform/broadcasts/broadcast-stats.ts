import type { EntityManager } from '@mikro-orm/postgresql';
import { estimatedFinish } from '../../engine/broadcasts/broadcast-pace.ts';
import type { RecipientStatus, SkipReason } from '../../engine/broadcasts/broadcast-state.ts';
import { recipientCounts, type BroadcastRow, type RecipientCount } from './broadcast-store.ts';

export interface BroadcastStats {
  total: number;
  byStatus: Record<RecipientStatus, number>;
  skippedByReason: Record<SkipReason, number>;
  optedOutAfter: number;
  percentDone: number;
  estimatedFinishAt: string | null;
}

/**
 * Each broadcast's counts per recipient status and skip reason, progress, and an estimated finish
 * from the pace (or the rate so far); the recipients of all of them are counted in one statement.
 */
export async function broadcastStats(
  em: EntityManager,
  broadcasts: readonly BroadcastRow[],
  now: Date,
): Promise<Map<string, BroadcastStats>> {
  const counts = await recipientCounts(
    em,
    broadcasts.filter((b) => b.startedAt !== null).map((b) => b.id),
  );
  return new Map(broadcasts.map((b) => [b.id, statsOf(b, counts.get(b.id) ?? [], now)]));
}

function statsOf(b: BroadcastRow, counts: readonly RecipientCount[], now: Date): BroadcastStats {
  // Written out rather than built from the value lists: the Record type makes the compiler
  // check that every status and reason has its zero, with no cast.
  const byStatus: Record<RecipientStatus, number> = { pending: 0, sent: 0, delivered: 0, read: 0, failed: 0, skipped: 0 };
  const skippedByReason: Record<SkipReason, number> = { opted_out: 0, restricted: 0, erased: 0, cancelled: 0, flow_inactive: 0 };
  let total = 0;
  let optedOutAfter = 0;
  for (const row of counts) {
    total += row.count;
    optedOutAfter += row.optedOutAfter;
    byStatus[row.status] += row.count;
    if (row.status === 'skipped' && row.skipReason !== null) skippedByReason[row.skipReason] += row.count;
  }
  const pending = byStatus.pending;
  const percentDone = total === 0 ? (b.state === 'completed' ? 100 : 0) : Math.round(((total - pending) / total) * 1000) / 10;
  let estimatedFinishAt: string | null = null;
  if (b.state === 'running' && b.startedAt !== null) {
    const minutes = (now.getTime() - b.startedAt.getTime()) / 60_000;
    const observed = minutes > 0 ? (total - pending - byStatus.skipped) / minutes : null;
    estimatedFinishAt = estimatedFinish(now, pending, b.effectivePacePerMinute, observed)?.toISOString() ?? null;
  }
  return { total, byStatus, skippedByReason, optedOutAfter, percentDone, estimatedFinishAt };
}
