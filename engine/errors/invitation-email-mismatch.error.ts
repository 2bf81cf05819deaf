import { AppError } from './app-error.ts';

/**
 * The caller is logged in with an account whose email is not the invited one. The message does
 * not repeat the invited email: the caller already holds the link that shows it.
 */
export class InvitationEmailMismatchError extends AppError {
  readonly code = 'invitation_email_mismatch';
  readonly disposition = 'user';
  constructor(readonly invitationId: string) {
    super(
      'this invitation was sent to another email address; log out, then open the link again and log in (or sign up) with the invited email',
    );
  }
}
