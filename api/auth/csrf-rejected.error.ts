import { AppError } from '../../engine/errors/app-error.ts';

/**
 * A state-changing request authenticated by the session cookie did not echo the `om_csrf`
 * cookie in the `X-CSRF-Token` header: it may come from another site riding on the cookie.
 * The editor sends the header itself; a script should use `Authorization: Bearer` instead.
 */
export class CsrfRejectedError extends AppError {
  readonly code = 'csrf_token_invalid';
  readonly disposition = 'user';
  constructor() {
    super(
      'a request authenticated by the session cookie must send the value of the om_csrf cookie in the X-CSRF-Token header (or use "Authorization: Bearer <token>")',
    );
  }
}
