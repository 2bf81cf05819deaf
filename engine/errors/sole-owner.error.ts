import { AppError } from './app-error.ts';

/**
 * A user who is the only owner of a workspace that has other members cannot delete their
 * account: the workspace would have no one able to manage it. Make another member owner first,
 * or delete the workspace.
 */
export class SoleOwnerError extends AppError {
  readonly code = 'sole_owner';
  readonly disposition = 'user';
  constructor(readonly workspaceIds: readonly string[]) {
    super('you are the only owner of a workspace that has other members: make another member owner, or delete the workspace first', {
      details: { workspaceIds },
    });
  }
}
