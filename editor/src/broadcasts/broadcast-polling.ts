import type { BroadcastState } from '../../../engine/broadcasts/broadcast-state.ts';
import { FINAL_BROADCAST_STATES } from '../../../engine/broadcasts/broadcast-state.ts';

/** While it is scheduled, running or paused, the page asks for the broadcast every second. */
export const LIVE_POLL_MS = 1_000;
/** After it ends, the channel still reports deliveries and reads for a while: asked less often. */
export const SETTLING_POLL_MS = 5_000;
/** How long after its end a broadcast's counts are still worth asking for. */
export const STATUS_SETTLE_MS = 10 * 60_000;

/**
 * How often the detail page refreshes a broadcast, or null to stop. A draft changes only when
 * its user acts; a final one stops once its late delivery and read reports have had time to
 * arrive (`finishedAt` + STATUS_SETTLE_MS).
 */
export function pollIntervalMs(broadcast: { state: BroadcastState; finishedAt: string | null }, nowMs: number): number | null {
  if (broadcast.state === 'draft') return null;
  if (!FINAL_BROADCAST_STATES.has(broadcast.state)) return LIVE_POLL_MS;
  if (broadcast.finishedAt === null) return null;
  return nowMs - Date.parse(broadcast.finishedAt) < STATUS_SETTLE_MS ? SETTLING_POLL_MS : null;
}
