import { ApiError } from '../api/api-client.ts';
import type { InvitationLookup } from '../api/api-types.ts';

/** What the accept page asks of the person holding the link. */
export type AcceptStep = 'create_account' | 'log_in_first' | 'join';

/**
 * Logged in: join directly (the server checks that the account's email is the invited one).
 * Not logged in: create the account, unless the invited email already has one; then log in first.
 */
export function acceptStep(invitation: InvitationLookup, signedIn: boolean): AcceptStep {
  if (signedIn) return 'join';
  return invitation.hasAccount ? 'log_in_first' : 'create_account';
}

const PLAIN_WORDS: Record<string, string> = {
  not_found: 'This invitation link is not valid. Check that you copied the whole link, or ask for a new invitation.',
  invitation_expired: 'This invitation has expired. Ask the person who invited you to send a new one.',
  invitation_used: 'This invitation has already been used. If it was you, log in to reach the workspace.',
  invitation_revoked: 'This invitation was withdrawn. Ask the person who invited you if you still need access.',
  invitation_email_mismatch: 'You are logged in with another email address than the one invited. Log out, then open the link again.',
};

/** The sentence for a failed lookup or accept, in the words of the person on the page. */
export function invitationErrorText(err: unknown): string {
  if (err instanceof ApiError) return PLAIN_WORDS[err.code] ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The token of the accept page's URL: `/invitations/accept#token=…` (the fragment never reaches
 * the server), or `?token=…` (an old `/#/invitations/accept?token=…` link, turned into a path by
 * the browser without a request).
 */
export function tokenOfUrl(url: { hash: string; search: string }): string | null {
  return new URLSearchParams(url.hash.replace(/^#/, '')).get('token') ?? new URLSearchParams(url.search).get('token');
}

/** A role as it reads in a sentence: "an agent", "a marketer". */
function roleInSentence(role: string): string {
  return `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`;
}

/** "Ada invited you to join Workspace X as an agent." */
export function invitationSentence(invitation: InvitationLookup): string {
  return `${invitation.inviterName ?? 'An administrator'} invited you to join ${invitation.workspaceName} as ${roleInSentence(invitation.role)}.`;
}
