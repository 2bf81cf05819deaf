import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { RateLimitedError } from '../../engine/errors/app-error.ts';
import { sendError } from '../http-errors.ts';

/**
 * Counts wrong operator credentials per client address (the login limiter's per-address count:
 * a guesser's failures at login and here add up), so that an ADMIN_PASSWORD cannot be guessed
 * at the speed of the network.
 */
export interface OperatorAttempts {
  /** Counts a try as a failure until `addressSucceeded`; throws RateLimitedError when the address has failed too often. */
  attemptAddress(ip: string): Promise<void>;
  addressSucceeded(ip: string): Promise<void>;
}

/** What the browser's login prompt shows; also named in the Bearer challenge. */
export const OPERATOR_REALM = 'OneMessage operator';

/** The credentials a guarded page accepts; all from the environment, never a workspace role. */
export interface OperatorCredentials {
  /** Bearer tokens accepted (ADMIN_TOKEN, and METRICS_TOKEN on /metrics). */
  bearerTokens: readonly string[];
  /** HTTP basic user and password (ADMIN_USER/ADMIN_PASSWORD); null when unset. */
  basic: { user: string; password: string } | null;
}

/** False when nothing could ever pass the guard: the guarded page is then not served at all (404). */
export function operatorCanSignIn(credentials: OperatorCredentials): boolean {
  return credentials.bearerTokens.length > 0 || credentials.basic !== null;
}

/**
 * Compares in time independent of where the strings differ and of their lengths: both sides are
 * hashed to 32 bytes first, as timingSafeEqual needs equal lengths and a length check would leak.
 */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

function presented(header: string | undefined, credentials: OperatorCredentials): boolean {
  if (!header) return false;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) {
    // Every configured token is compared, so the time taken does not say which one was close.
    let ok = false;
    for (const token of credentials.bearerTokens) ok = sameSecret(bearer[1]!, token) || ok;
    return ok;
  }
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (basic && credentials.basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both halves are compared whatever the first gave: no early exit tells a right user name.
    const userOk = sameSecret(decoded.slice(0, colon), credentials.basic.user);
    const passwordOk = sameSecret(decoded.slice(colon + 1), credentials.basic.password);
    return userOk && passwordOk;
  }
  return false;
}

/**
 * Lets through only requests that carry an operator credential (`Authorization: Bearer <token>`
 * or HTTP basic); anything else, a workspace's session token or API key included, gets 401 in the
 * error shape. With basic credentials configured the 401 carries a Basic challenge, so that a
 * browser opening the page asks for them. `accepted` names the settings in the 401's message.
 */
export function operatorGuard(credentials: OperatorCredentials, accepted: string, attempts: OperatorAttempts): RequestHandler {
  const message = `this page is for whoever runs the server: send the operator credentials set in its environment (${accepted}); workspace logins do not open it`;
  return async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    const header = req.headers.authorization;
    if (header) {
      // Only a presented credential is a try: a browser's first, bare request just gets the challenge.
      const ip = req.ip ?? 'unknown';
      let counted = true;
      try {
        await attempts.attemptAddress(ip);
      } catch (err) {
        if (err instanceof RateLimitedError) {
          res.setHeader('Retry-After', String(err.retryAfterSeconds));
          return sendError(res, 429, err.code, err.message);
        }
        // Redis does not answer: the credential is still checked, uncounted, so that /metrics
        // and the dashboard work during the outage they are needed for (the secrets are long).
        counted = false;
      }
      if (presented(header, credentials)) {
        if (counted) await attempts.addressSucceeded(ip).catch(() => undefined);
        return next();
      }
    }
    if (credentials.basic) res.append('WWW-Authenticate', `Basic realm="${OPERATOR_REALM}", charset="UTF-8"`);
    if (credentials.bearerTokens.length > 0) res.append('WWW-Authenticate', `Bearer realm="${OPERATOR_REALM}"`);
    sendError(res, 401, 'unauthenticated', message);
  };
}
