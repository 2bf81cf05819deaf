import { AppError } from './app-error.ts';

/** Why an invitation link can no longer be accepted. */
export type InvitationClosedReason = 'expired' | 'used' | 'revoked';

const NEXT_STEP: Record<InvitationClosedReason, string> = {
  expired: 'this invitation has expired; ask the workspace admin for a new one',
  used: 'this invitation has already been accepted; log in to reach the workspace',
  revoked: 'this invitation was withdrawn; ask the workspace admin for a new one if you still need access',
};

/** The invitation exists but cannot be accepted any more; nothing was created. */
export class InvitationClosedError extends AppError {
  readonly code: `invitation_${InvitationClosedReason}`;
  readonly disposition = 'user';
  constructor(
    readonly invitationId: string,
    readonly reason: InvitationClosedReason,
  ) {
    super(NEXT_STEP[reason]);
    this.code = `invitation_${reason}`;
  }
}
