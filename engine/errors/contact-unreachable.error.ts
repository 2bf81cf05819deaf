import { AppError } from './app-error.ts';
import type { UnreachableReason } from '../contacts/automated-send-blocker.ts';

/**
 * An automated message (bot or broadcast) was refused because the contact opted out, was
 * restricted or was erased. Retrying cannot help until the contact's state changes.
 */
export class ContactUnreachableError extends AppError {
  readonly code = 'contact_unreachable';
  readonly disposition = 'never';
  constructor(
    readonly contactId: string,
    readonly reason: UnreachableReason,
  ) {
    super(`contact ${contactId} receives no automated messages (${reason.replace('_', ' ')})`);
  }
}
