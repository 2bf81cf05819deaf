import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { BodyTooDeepError } from '../engine/errors/body-too-deep.error.ts';
import { NulCharacterError } from '../engine/errors/nul-character.error.ts';
import { jsonNestsDeeperThan, MAX_JSON_BODY_DEPTH } from '../platform/http/json-nesting-depth.ts';
import { nulPath } from '../platform/http/json-nul-character.ts';

export interface JsonBodyOptions {
  limit: number;
  /** Only objects and arrays at the top (the API), or any JSON value (webhooks). */
  strict: boolean;
  type: string | string[] | ((req: IncomingMessage) => boolean);
}

/** body-parser's type for a charset it cannot read; the error handler answers 415. */
function unsupportedCharset(charset: string): Error {
  return Object.assign(new Error(`unsupported charset "${charset}"`), { type: 'charset.unsupported', status: 415 });
}

/**
 * The one JSON body parser of the HTTP app: express.json, with the nesting depth checked on the
 * raw bytes before they are parsed (BodyTooDeepError → 400 `body_too_deep`), and the NUL
 * character refused once parsed (NulCharacterError → 400 `nul_character`: PostgreSQL stores it
 * in no text or jsonb column, so it would fail later as a 500). body-parser accepts any utf-*
 * charset; UTF-16 is decoded and re-encoded for the byte scan, anything rarer refused.
 */
export function jsonBodyParser(opts: JsonBodyOptions): RequestHandler {
  const parse = jsonParser(opts);
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      const at = nulPath(req.body, '');
      next(at === null ? undefined : new NulCharacterError(at));
    });
}

function jsonParser(opts: JsonBodyOptions): RequestHandler {
  return express.json({
    ...opts,
    verify(_req, _res, buf, encoding) {
      let bytes: Uint8Array = buf;
      const charset = (encoding || 'utf-8').toLowerCase();
      if (charset !== 'utf-8' && charset !== 'utf8') {
        if (charset !== 'utf-16le' && charset !== 'utf-16be' && charset !== 'utf-16') throw unsupportedCharset(charset);
        bytes = Buffer.from(new TextDecoder(charset).decode(buf), 'utf8');
      }
      if (jsonNestsDeeperThan(bytes, MAX_JSON_BODY_DEPTH)) throw new BodyTooDeepError(MAX_JSON_BODY_DEPTH);
    },
  });
}
