import type { AbSplitConfig } from './nodes/ab-split.node.ts';

/**
 * Picks an A/B branch in proportion to the weights from a random number in [0, 1) that the
 * caller supplies (the runtime draws it once and records it with the step, so a replay picks the
 * same branch). Returns the branch id, which is also its port id.
 */
export function pickAbBranch(config: AbSplitConfig, random: number): string {
  if (!(random >= 0 && random < 1)) throw new RangeError(`random must be in [0, 1), got ${random}`);
  const total = config.branches.reduce((sum, b) => sum + b.weight, 0);
  let threshold = random * total;
  for (const branch of config.branches) {
    if (branch.weight === 0) continue;
    if (threshold < branch.weight) return branch.id;
    threshold -= branch.weight;
  }
  // Only floating-point rounding gets here; the last weighted branch is the right answer.
  const last = config.branches.findLast((b) => b.weight > 0);
  if (!last) throw new RangeError('an A/B split needs at least one branch with a weight above 0');
  return last.id;
}
