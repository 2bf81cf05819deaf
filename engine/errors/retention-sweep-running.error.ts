import { AppError } from './app-error.ts';

/** A workspace runs one retention sweep at a time: wait for the running one (its id is in details). */
export class RetentionSweepRunningError extends AppError {
  readonly code = 'retention_sweep_running';
  readonly disposition = 'user';
  constructor(readonly sweepId: string) {
    super(`a retention sweep of this workspace is already queued or running (${sweepId}): wait for it to finish`, { details: { sweepId } });
  }
}
