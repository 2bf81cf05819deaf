import { AppError } from '../../engine/errors/app-error.ts';

/**
 * The current password given to change it is wrong. A 403, not a 401: the session is still
 * valid, and a client that logs out on 401 must not end it for a typing mistake.
 */
export class WrongPasswordError extends AppError {
  readonly code = 'wrong_password';
  readonly disposition = 'user';
  constructor() {
    super('the current password is wrong; type it again');
  }
}
