import { AppError } from './app-error.ts';

/**
 * A flow's draft was saved with a revision that is no longer current: someone else saved it in
 * between. The caller must reload the draft (details carry the current revision) and re-apply
 * their change; saving again unchanged would overwrite the other edit.
 */
export class DraftConflictError extends AppError {
  readonly code = 'draft_conflict';
  readonly disposition = 'user';
  constructor(
    readonly flowId: string,
    readonly baseRevision: number,
    readonly currentRevision: number,
  ) {
    super(
      `this flow was changed elsewhere: you edited revision ${baseRevision}, the current revision is ${currentRevision}; reload it and apply your change again`,
      {
        details: { currentRevision },
      },
    );
  }
}
