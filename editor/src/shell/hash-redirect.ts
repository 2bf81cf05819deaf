/**
 * The editor once lived in the URL's hash (`/#/flows/<id>`), and links already sent keep that
 * form (invitation emails: `PUBLIC_URL/#/invitations/accept?token=…`). Such a URL is the path it
 * names: `/#/x?y` becomes `/x?y`. Returns the path to go to, or null when the hash is not a route.
 */
export function pathOfHashRoute(hash: string): string | null {
  const match = /^#(\/.*)$/.exec(hash);
  return match ? match[1]! : null;
}
