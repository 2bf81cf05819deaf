/**
 * A broadcast's life (see README.md): draft → scheduled → running → completed, and paused,
 * cancelled, failed. A recurring broadcast stays `scheduled` between its occurrences, each of
 * which is a broadcast of its own that runs once.
 */
export const BROADCAST_STATES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed'] as const;
export type BroadcastState = (typeof BROADCAST_STATES)[number];

export const BROADCAST_ACTIONS = ['schedule', 'pause', 'resume', 'cancel', 'edit'] as const;
export type BroadcastAction = (typeof BROADCAST_ACTIONS)[number];

/** The states from which each action is allowed. */
const ALLOWED_FROM: Record<BroadcastAction, readonly BroadcastState[]> = {
  schedule: ['draft'],
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  cancel: ['draft', 'scheduled', 'running', 'paused'],
  edit: ['draft', 'scheduled', 'paused'],
};

/** True when `action` may be applied to a broadcast in `state`. */
export function canApply(action: BroadcastAction, state: BroadcastState): boolean {
  return ALLOWED_FROM[action].includes(state);
}

/** The states `action` may be applied from, for an error that tells the caller what would work. */
export function statesAllowing(action: BroadcastAction): readonly BroadcastState[] {
  return ALLOWED_FROM[action];
}

/** States after which nothing more is sent. */
export const FINAL_BROADCAST_STATES: ReadonlySet<BroadcastState> = new Set(['completed', 'cancelled', 'failed']);

/**
 * A recipient's status as the API shows it: `pending` until its message is recorded, then its
 * message's status (`queued` shows as `pending`), or `skipped` with a reason.
 */
export const RECIPIENT_STATUSES = ['pending', 'sent', 'delivered', 'read', 'failed', 'skipped'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

/** Why a recipient was skipped. */
export const SKIP_REASONS = ['opted_out', 'restricted', 'erased', 'cancelled', 'flow_inactive'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
