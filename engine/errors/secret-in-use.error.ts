import { AppError } from './app-error.ts';

/**
 * A secret is named by the published version of an active flow: deleting it would make every
 * run of that flow fail at its HTTP request. The caller must change or deactivate those flows
 * first (details list them), or replace the secret's value instead of deleting it.
 */
export class SecretInUseError extends AppError {
  readonly code = 'secret_in_use';
  readonly disposition = 'user';
  constructor(
    readonly secretName: string,
    readonly flows: readonly { id: string; name: string }[],
  ) {
    super(
      `the secret "${secretName}" is used by ${flows.length} active flow${flows.length === 1 ? '' : 's'} (${flows.map((f) => f.name).join(', ')}): change or deactivate them first, or replace the value instead`,
      {
        details: { flows },
      },
    );
  }
}
