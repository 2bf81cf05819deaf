/** The shares of a limit at which owners are told, in percent. */
export const USAGE_THRESHOLDS_PERCENT = [80, 90, 100] as const;
export type UsageThreshold = (typeof USAGE_THRESHOLDS_PERCENT)[number];

/** The thresholds that a change of usage from `before` to `after` crossed (reached), against `limit`. */
export function crossedThresholds(before: number, after: number, limit: number | null): UsageThreshold[] {
  if (limit === null || limit <= 0 || after <= before) return [];
  return USAGE_THRESHOLDS_PERCENT.filter((t) => before * 100 < t * limit && after * 100 >= t * limit);
}

/** The highest threshold `used` has reached, or null (below 80 %, or no limit). */
export function thresholdReached(used: number, limit: number | null): UsageThreshold | null {
  if (limit === null) return null;
  if (limit <= 0) return 100;
  let reached: UsageThreshold | null = null;
  for (const t of USAGE_THRESHOLDS_PERCENT) if (used * 100 >= t * limit) reached = t;
  return reached;
}

/** The failure reason of an automated message refused because the plan's quota is used up. */
export const QUOTA_EXCEEDED_REASON = 'quota_exceeded';
