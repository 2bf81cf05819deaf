import type { BroadcastAction, BroadcastState } from '../broadcasts/broadcast-state.ts';
import { AppError } from './app-error.ts';

/** The broadcast's state does not allow the action (pausing a completed broadcast); details say which states would. */
export class BroadcastStateConflictError extends AppError {
  readonly code = 'broadcast_state_conflict';
  readonly disposition = 'user';
  constructor(
    readonly broadcastId: string,
    readonly action: BroadcastAction,
    readonly state: BroadcastState,
    allowedFrom: readonly BroadcastState[],
  ) {
    super(`cannot ${action} broadcast ${broadcastId}: it is ${state}; ${action} works on a broadcast that is ${allowedFrom.join(' or ')}`, {
      details: { state, allowedFrom },
    });
  }
}
