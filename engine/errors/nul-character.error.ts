import { AppError } from './app-error.ts';

/** A JSON body holds the NUL character (\u0000), which PostgreSQL cannot store in text or jsonb. */
export class NulCharacterError extends AppError {
  readonly code = 'nul_character';
  readonly disposition = 'user';
  constructor(readonly path: string) {
    super(`the request holds the NUL character (\\u0000)${path ? ` at ${path}` : ''}, which cannot be stored; remove it`, {
      details: { path },
    });
  }
}
