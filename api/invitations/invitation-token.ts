/** How long an invitation link stays valid. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * The editor's accept page for a token: a real path (it reloads to itself) with the token in the
 * URL fragment: browsers never send a fragment to the server or in a Referer header, so it stays
 * out of access logs (a reverse proxy's included). Links sent before (`/#/invitations/accept?token=`)
 * still open the page: the editor turns them into this path in the browser.
 * Built from the configured public URL, never from the request's Host header (which a caller
 * chooses, and which would let a crafted request mail a link to somebody else's server).
 */
export function invitationAcceptUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/invitations/accept#token=${encodeURIComponent(token)}`;
}
