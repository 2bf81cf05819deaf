import { AppError } from './app-error.ts';

/** Billing is off on this server (no STRIPE_SECRET_KEY): every workspace has the unlimited self-hosted plan. */
export class BillingDisabledError extends AppError {
  readonly code = 'billing_disabled';
  readonly disposition = 'user';
  constructor() {
    super('billing is not enabled on this server: every workspace has the unlimited self-hosted plan');
  }
}
