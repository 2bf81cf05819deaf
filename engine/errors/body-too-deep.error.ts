import { AppError } from './app-error.ts';

/** A JSON body nests arrays or objects deeper than the server accepts; it was not parsed. */
export class BodyTooDeepError extends AppError {
  readonly code = 'body_too_deep';
  readonly disposition = 'user';
  constructor(readonly maxDepth: number) {
    super(`the JSON body nests arrays or objects more than ${maxDepth} levels deep; flatten it`, { details: { maxDepth } });
  }
}
