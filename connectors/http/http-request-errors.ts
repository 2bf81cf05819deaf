import { AppError } from '../../engine/errors/app-error.ts';
import type { BlockReason } from './address-policy.ts';

/**
 * Every failure of `SafeHttpClient.request`. A non-2xx response is not one of them: it is returned
 * with its status, because a flow routes on it. Each subclass says what the caller does next
 * through `disposition`; `url` is the URL of the hop that failed (after redirects, not always the
 * one the flow asked for).
 */
export abstract class HttpRequestError extends AppError {
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The URL is not one the client may fetch: unparseable, not http(s), or carrying credentials. */
export class InvalidUrlError extends HttpRequestError {
  readonly code = 'http_invalid_url';
  readonly disposition = 'user';
}

/** The request itself is malformed: a header the client manages, a body that is not JSON, a bad timeout. */
export class InvalidHttpRequestError extends HttpRequestError {
  readonly code = 'http_invalid_request';
  readonly disposition = 'user';
}

/**
 * The host, or one of the addresses it resolves to, is on the refused list (loopback, private,
 * link-local, metadata…). Retrying cannot help; allow-listing the host in config can.
 * `address` is absent when the host name itself was refused before any DNS lookup.
 */
export class BlockedAddressError extends HttpRequestError {
  readonly code = 'http_blocked_address';
  readonly disposition = 'never';
  constructor(
    url: string,
    readonly hostname: string,
    readonly reason: BlockReason,
    readonly address?: string,
  ) {
    super(
      url,
      address === undefined ? `${hostname} is refused (${reason})` : `${hostname} resolves to ${address}, which is refused (${reason})`,
    );
  }
}

/** The total deadline (across every redirect) passed before the response was read in full. */
export class HttpTimeoutError extends HttpRequestError {
  readonly code = 'http_timeout';
  readonly disposition = 'retry';
  constructor(
    url: string,
    readonly timeoutMs: number,
  ) {
    super(url, `no complete response from ${url} within ${timeoutMs} ms`);
  }
}

/** The response body is larger than the client's cap (declared by Content-Length, or counted while streaming). */
export class ResponseTooLargeError extends HttpRequestError {
  readonly code = 'http_response_too_large';
  readonly disposition = 'never';
  constructor(
    url: string,
    readonly maxBytes: number,
  ) {
    super(url, `the response from ${url} is larger than ${maxBytes} bytes`);
  }
}

/** The server redirected more times than allowed (or in a loop). */
export class TooManyRedirectsError extends HttpRequestError {
  readonly code = 'http_too_many_redirects';
  readonly disposition = 'never';
  constructor(
    url: string,
    readonly maxRedirects: number,
  ) {
    super(url, `more than ${maxRedirects} redirects, the last one to ${url}`);
  }
}

/**
 * The request carries workspace secrets (in a custom header or the body, which a redirect keeps)
 * and was redirected to another origin: not followed, so a redirect cannot carry a secret to a
 * host the flow did not name. Point the flow at the final URL instead.
 */
export class CrossOriginRedirectRefusedError extends HttpRequestError {
  readonly code = 'http_redirect_refused';
  readonly disposition = 'never';
  constructor(
    url: string,
    readonly from: string,
  ) {
    super(
      url,
      `${from} redirected to another origin (${new URL(url).origin}); a request carrying secrets only follows redirects within its origin: use the final URL in the flow`,
    );
  }
}

/** DNS failed, the connection was refused or reset, or TLS failed; the same call may succeed later. */
export class HttpConnectionError extends HttpRequestError {
  readonly code = 'http_connection_failed';
  readonly disposition = 'retry';
  constructor(url: string, cause: unknown) {
    super(url, `could not reach ${url}: ${describeCause(cause)}`, { cause });
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === undefined ? cause.message : `${code} (${cause.message})`;
  }
  return String(cause);
}
