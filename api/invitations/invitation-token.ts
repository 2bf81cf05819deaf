/** How long an invitation link stays valid. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * The editor's accept page for a token. The token rides in the URL fragment: browsers never
 * send a fragment to the server or in a Referer header, so it stays out of access logs.
 * Built from the configured public URL, never from the request's Host header (which a caller
 * chooses, and which would let a crafted request mail a link to somebody else's server).
 */
export function invitationAcceptUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/#/invitations/accept?token=${encodeURIComponent(token)}`;
}
