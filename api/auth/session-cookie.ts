import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { SESSION_TTL_SECONDS } from './session-tokens.ts';

/** The httpOnly cookie that carries the editor's session token; scripts never read it. */
export const SESSION_COOKIE = 'om_session';
/**
 * The CSRF cookie (double submit): readable by the editor's own script, which echoes it in
 * CSRF_HEADER on every state-changing call. Another site can make the browser send cookies
 * but can neither read this one nor set the header.
 */
export const CSRF_COOKIE = 'om_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const CSRF_TOKEN_BYTES = 32;

/**
 * Both cookies on path / (the editor calls /api), SameSite=Strict (never sent by a request
 * another site starts: the first guard against CSRF), Secure when the request came over HTTPS
 * or the server's public address is HTTPS.
 */
function cookieOptions(secure: boolean) {
  return { sameSite: 'strict' as const, path: '/', secure };
}

function isSecure(req: Request, publicUrl: string): boolean {
  return req.secure || publicUrl.startsWith('https:');
}

/** Gives the browser a session: the token (httpOnly) and a fresh CSRF token (readable). */
export function setSessionCookies(req: Request, res: Response, token: string, publicUrl: string): void {
  const options = { ...cookieOptions(isSecure(req, publicUrl)), maxAge: SESSION_TTL_SECONDS * 1000 };
  res.cookie(SESSION_COOKIE, token, { ...options, httpOnly: true });
  res.cookie(CSRF_COOKIE, randomBytes(CSRF_TOKEN_BYTES).toString('base64url'), { ...options, httpOnly: false });
}

export function clearSessionCookies(req: Request, res: Response, publicUrl: string): void {
  const options = cookieOptions(isSecure(req, publicUrl));
  res.clearCookie(SESSION_COOKIE, { ...options, httpOnly: true });
  res.clearCookie(CSRF_COOKIE, options);
}

/** The value of one cookie of the request, or null. */
export function cookieOf(req: Request, name: string): string | null {
  for (const part of req.headers.cookie?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}
