import type { IncomingMessage } from 'node:http';
import { jsonNestsDeeperThan, MAX_JSON_BODY_DEPTH } from '../../platform/http/json-nesting-depth.ts';
import { ResponseTooLargeError } from './http-request-errors.ts';

/**
 * Reads a response body, refusing it as soon as it passes `maxBytes`: at once when Content-Length
 * already says so, and otherwise by counting while streaming (Content-Length may be absent, as
 * with chunked encoding, or wrong), so a huge body never sits in memory.
 */
export function readCappedBody(res: IncomingMessage, maxBytes: number, url: string, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    return Promise.reject(new ResponseTooLargeError(url, maxBytes));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const fail = (err: unknown): void => {
      signal.removeEventListener('abort', onAbort);
      res.destroy();
      reject(err);
    };
    // The request's signal destroys the socket too; this makes the rejection independent of how the stream reports it.
    const onAbort = (): void => fail(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) fail(new ResponseTooLargeError(url, maxBytes));
      else chunks.push(chunk);
    });
    res.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks, total));
    });
    res.on('error', fail);
    res.on('close', () => {
      if (!res.complete) fail(new Error('the connection closed before the response ended'));
    });
  });
}

/**
 * The body as the flow sees it: parsed JSON when the server says it is JSON (and it parses), text
 * otherwise. JSON nested deeper than the API accepts stays text too: the run keeps the body, and
 * storing it (JSON.stringify), json-logic and templates all recurse, so a deep body would
 * overflow the stack there instead of reaching the flow.
 */
export function decodeBody(raw: Buffer, contentType: string | undefined): unknown {
  const [mediaType = '', ...params] = (contentType ?? '').split(';');
  const text = new TextDecoder(supportedCharset(params), { fatal: false }).decode(raw);
  const media = mediaType.trim().toLowerCase();
  if (media !== 'application/json' && !media.endsWith('+json')) return text;
  // The text, not `raw`: the scan reads UTF-8, and the body may have come in another charset.
  if (jsonNestsDeeperThan(new TextEncoder().encode(text), MAX_JSON_BODY_DEPTH)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A server that mislabels its body should not fail the flow's step: it gets the text to inspect.
    return text;
  }
}

function supportedCharset(params: readonly string[]): string {
  const charset = params
    .map((p) => p.trim().split('='))
    .find(([key]) => key?.toLowerCase() === 'charset')?.[1]
    ?.replace(/^"|"$/g, '');
  if (charset === undefined) return 'utf-8';
  try {
    new TextDecoder(charset);
    return charset;
  } catch {
    return 'utf-8';
  }
}
