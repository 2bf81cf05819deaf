import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ApiResponse } from '../../support/api-client.ts';

/**
 * The session token the editor runs on: the httpOnly cookie the server set at login, which the
 * page itself cannot read (read here through the browser context, for API calls of the test).
 */
export async function sessionTokenOf(page: Page): Promise<string> {
  return (await page.context().cookies()).find((c) => c.name === 'om_session')?.value ?? '';
}

/** Gives the browser the session cookies of an API login or signup, as if it had logged in itself. */
export async function addSessionCookies(context: BrowserContext, base: string, session: ApiResponse): Promise<void> {
  const cookies = session.headers.getSetCookie().map((line) => {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    return {
      name: pair!.slice(0, eq),
      value: decodeURIComponent(pair!.slice(eq + 1)),
      url: base,
      sameSite: 'Strict' as const,
      httpOnly: pair!.startsWith('om_session='),
    };
  });
  await context.addCookies(cookies);
}

/**
 * A page at 1440 × 900 signed in as `session` (an API signup or login), its content-security
 * violations recorded by `violations`.
 */
export async function signedInPage(
  browser: Browser,
  base: string,
  session: ApiResponse,
  violations: { watch(context: BrowserContext): Promise<void> },
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await violations.watch(context);
  await addSessionCookies(context, base, session);
  return context.newPage();
}
