import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { AppError, type ErrorDisposition } from '../../engine/errors/app-error.ts';
import { addressBlockReason, hostnameBlockReason, unbracket } from '../http/address-policy.ts';
import { BlockedAddressError } from '../http/http-request-errors.ts';
import { pinnedLookup, systemResolver, type HostResolver } from '../http/pinned-lookup.ts';

/** Downloads the media of an outbound message given by URL. */
export type MediaFetcher = (url: string) => Promise<{ data: Buffer; mimeType: string | null }>;

/** A media URL could not be fetched; `disposition` says whether a later attempt may succeed. */
export class MediaFetchError extends AppError {
  readonly code = 'media_fetch_failed';
  constructor(
    readonly url: string,
    reason: string,
    readonly disposition: ErrorDisposition,
    options?: { cause?: unknown },
  ) {
    super(`media ${url} could not be fetched: ${reason}`, options);
  }
}

const FETCH_TIMEOUT_MS = 15_000;

/**
 * A media fetcher behind the same address policy as the HTTP action: the host is checked by
 * name, resolved, every address checked, and the socket connects only to the addresses checked
 * (no DNS rebinding). No redirects (a redirect could lead anywhere); a size cap; a deadline.
 */
export function guardedMediaFetcher(opts: { allowHosts: readonly string[]; maxBytes: number; resolve?: HostResolver }): MediaFetcher {
  const allow = new Set(opts.allowHosts.map((h) => h.toLowerCase()));
  const resolve = opts.resolve ?? systemResolver;
  return async (url) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new MediaFetchError(url, 'not a URL', 'never');
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new MediaFetchError(url, 'only http and https URLs', 'never');
    const hostname = unbracket(target.hostname);
    let lookup: LookupFunction | undefined;
    if (!allow.has(hostname)) {
      if (isIP(hostname) !== 0) {
        const reason = addressBlockReason(hostname);
        if (reason) throw new BlockedAddressError(url, hostname, reason, hostname);
      } else {
        const nameReason = hostnameBlockReason(hostname);
        if (nameReason) throw new BlockedAddressError(url, hostname, nameReason);
        const addresses = await resolve(hostname).catch((cause: unknown) => {
          throw new MediaFetchError(url, `${hostname} does not resolve`, 'retry', { cause });
        });
        for (const { address } of addresses) {
          const reason = addressBlockReason(address);
          if (reason) throw new BlockedAddressError(url, hostname, reason, address);
        }
        lookup = pinnedLookup(addresses);
      }
    }
    return get(target, lookup, opts.maxBytes);
  };
}

function get(target: URL, lookup: LookupFunction | undefined, maxBytes: number): Promise<{ data: Buffer; mimeType: string | null }> {
  return new Promise((resolvePromise, reject) => {
    const req = (target.protocol === 'https:' ? https : http).get(target, { lookup, timeout: FETCH_TIMEOUT_MS }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        res.resume();
        reject(new MediaFetchError(target.href, `answered ${status}`, status >= 500 || status === 429 ? 'retry' : 'never'));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          reject(new MediaFetchError(target.href, `larger than ${maxBytes} bytes`, 'never'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolvePromise({ data: Buffer.concat(chunks), mimeType: res.headers['content-type'] ?? null }));
      res.on('error', (cause) => reject(new MediaFetchError(target.href, 'the download broke off', 'retry', { cause })));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (cause) => reject(new MediaFetchError(target.href, cause.message, 'retry', { cause })));
  });
}
