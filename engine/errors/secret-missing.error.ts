import { AppError } from './app-error.ts';

/**
 * A step names a secret the workspace no longer has (deleted after the flow was published).
 * Retrying cannot help: someone must create the secret again or change the flow.
 */
export class SecretMissingError extends AppError {
  readonly code = 'secret_missing';
  readonly disposition = 'never';
  constructor(readonly secretName: string) {
    super(`the secret "${secretName}" does not exist in this workspace: create it under Secrets, or change the flow`);
  }
}
