import { AppError } from './app-error.ts';

/**
 * Data under a legal hold may be neither swept nor erased until the hold is released. The caller
 * must release the hold first (an admin, on the Privacy page) if the law no longer requires it.
 */
export class LegalHoldError extends AppError {
  readonly code = 'legal_hold';
  readonly disposition = 'user';
  constructor(
    readonly scope: 'workspace' | 'contact' | 'conversation',
    readonly holdId: string,
    reason: string,
  ) {
    super(`this contact's data is under a legal hold on the ${scope} ("${reason}"): release the hold before erasing`, {
      details: { holdId, scope },
    });
  }
}
