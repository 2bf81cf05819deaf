import { AppError } from './app-error.ts';

/** The endpoint was withdrawn on purpose; the message names the one to use instead. */
export class GoneError extends AppError {
  readonly code = 'gone';
  readonly disposition = 'user';
}
