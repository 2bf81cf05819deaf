/** What a redacted URL shows in place of a password, or of a user name that stands alone. */
export const REDACTED_CREDENTIAL = '***';

/**
 * The URL with its credentials hidden, for messages and logs: the password becomes `***`; the
 * user name is kept beside a password (`postgres://app:***@db/app`: which role, not its secret) but
 * hidden when it stands alone, the way a token rides in a URL (`https://***@host/`). A string that
 * is not a URL is not echoed: it may be one with a typo, secret included.
 */
export function redactUrl(url: string | URL): string {
  let copy: URL;
  try {
    copy = new URL(url);
  } catch {
    return '<unparseable URL>';
  }
  if (copy.password !== '') copy.password = REDACTED_CREDENTIAL;
  else if (copy.username !== '') copy.username = REDACTED_CREDENTIAL;
  return copy.href;
}
