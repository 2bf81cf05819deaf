/** Why a contact may receive no automated message. */
export type UnreachableReason = 'opted_out' | 'restricted' | 'erased';

/** Who writes an outbound message; `bot` and `broadcast` are automated. */
export type OutboundSender = 'bot' | 'agent' | 'owner' | 'broadcast';

/** The contact fields that decide whether automation may write to them. */
export interface ContactReachability {
  optedOutAt: Date | null;
  restrictedAt: Date | null;
  erasedAt: Date | null;
}

const AUTOMATED: ReadonlySet<OutboundSender> = new Set(['bot', 'broadcast']);

/**
 * The reason an automated send to this contact must be refused, or null when it may go.
 * A person (agent, owner) may still answer an opted-out contact who writes in; automation may not.
 * Erasure is checked first: it is the strongest state and the one an audit asks about.
 */
export function automatedSendBlocker(contact: ContactReachability, sender: OutboundSender): UnreachableReason | null {
  if (!AUTOMATED.has(sender)) return null;
  if (contact.erasedAt !== null) return 'erased';
  if (contact.optedOutAt !== null) return 'opted_out';
  if (contact.restrictedAt !== null) return 'restricted';
  return null;
}
