import { AppError } from './app-error.ts';

/** A secret with this name exists already: replace its value (PATCH /v1/secrets/:id) instead of creating it again. */
export class SecretNameTakenError extends AppError {
  readonly code = 'secret_name_taken';
  readonly disposition = 'user';
  constructor(
    readonly secretName: string,
    readonly secretId: string,
  ) {
    super(`a secret named "${secretName}" exists already: replace its value instead`, { details: { id: secretId } });
  }
}
