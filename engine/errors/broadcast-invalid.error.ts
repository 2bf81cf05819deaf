import type { BroadcastProblem } from '../broadcasts/broadcast-problem.ts';
import { AppError } from './app-error.ts';

/** A broadcast cannot be created or scheduled as it is: `details` lists every problem with its path. */
export class BroadcastInvalidError extends AppError {
  readonly code = 'broadcast_invalid';
  readonly disposition = 'user';
  constructor(readonly problems: readonly BroadcastProblem[]) {
    super(
      `the broadcast has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}: ${problems.map((p) => p.message).join('; ')}`,
      { details: problems },
    );
  }
}
