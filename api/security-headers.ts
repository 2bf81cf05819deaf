import type { RequestHandler, Response } from 'express';
import helmet, { contentSecurityPolicy } from 'helmet';
import { randomBase64 } from '../platform/random-pool.ts';

/** HSTS lifetime once PUBLIC_URL is https: 180 days, helmet's default and long enough to matter. */
const HSTS_MAX_AGE_SECONDS = 180 * 24 * 3600;

type Directive = string | ((req: unknown, res: unknown) => string);
type Directives = Record<string, Directive[]>;

/** Bytes of a CSP nonce: 128 bits, as the CSP spec recommends. */
const NONCE_BYTES = 16;

/** This response's style nonce (set by securityHeaders before anything else runs). */
export function cspNonceOf(res: Response): string {
  return (res.locals as { cspNonce?: string }).cspNonce ?? '';
}

const styleNonce: Directive = (_req, res) => `'nonce-${cspNonceOf(res as Response)}'`;

/**
 * The editor's policy: its code and styles come from this server only, with no inline script
 * (editor/index.html loads even its early flow prefetch from a file). Styles that React and
 * React Flow set go through the CSSOM (`element.style`), which a CSP does not govern, so
 * style-src needs no 'unsafe-inline'; the few <style> elements Mantine writes (theme variables,
 * responsive props) carry the page load's nonce, which the server writes into index.html
 * (api/editor-app.ts) and no injected markup can guess. Images may be data: URLs (the WhatsApp
 * QR code is one).
 */
const EDITOR_DIRECTIVES: Directives = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", styleNonce],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Bull Board's page (/admin/queues, operator only) is a prebuilt app we do not control: its
 * scripts are files of its own (its one inline <script> is a JSON data block, which a CSP does
 * not run), but its markup has style attributes and a <style> element, and it loads IBM Plex
 * from Google Fonts. It is given exactly that and nothing more; it uses <base href>, so base-uri
 * is 'self'.
 */
const QUEUE_DASHBOARD_DIRECTIVES: Directives = {
  ...EDITOR_DIRECTIVES,
  'base-uri': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
  'font-src': ["'self'", 'https://fonts.gstatic.com'],
};

function withTransport(directives: Directives, https: boolean): Directives {
  // Over plain http (a self-hosted server on http://localhost or a LAN address) upgrading would
  // send the page's own requests to an https port that does not exist.
  return https ? { ...directives, 'upgrade-insecure-requests': [] } : directives;
}

/**
 * Security headers on every response (editor, API, errors): the CSP above, nosniff, no framing
 * (frame-ancestors 'none' and X-Frame-Options DENY for older browsers), no referrer, and HSTS
 * only when PUBLIC_URL is https: a server reached over http must not tell browsers to insist on
 * https, and browsers ignore HSTS received over http anyway.
 */
export function securityHeaders(https: boolean): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: withTransport(EDITOR_DIRECTIVES, https) },
    strictTransportSecurity: https ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  return (req, res, next) => {
    (res.locals as { cspNonce?: string }).cspNonce = randomBase64(NONCE_BYTES);
    headers(req, res, next);
  };
}

/** Replaces the editor's CSP on the queue dashboard's responses (mounted after securityHeaders). */
export function queueDashboardContentSecurityPolicy(https: boolean): RequestHandler {
  return contentSecurityPolicy({ useDefaults: false, directives: withTransport(QUEUE_DASHBOARD_DIRECTIVES, https) });
}
