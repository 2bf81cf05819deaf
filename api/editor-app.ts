import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { cspNonceOf } from './security-headers.ts';

/**
 * First path segments that are never the editor's: their unknown paths get the API's JSON 404,
 * not the app. Everything else the editor's router decides (it has its own Not found page).
 */
const NOT_EDITOR_SEGMENTS = new Set(['api', 'v1', 'hooks', 'admin', 'metrics', 'healthz', 'readyz', 'api-docs', 'assets']);

/** The placeholder of editor/index.html that each page load's style nonce replaces. */
const NONCE_PLACEHOLDER = '__CSP_NONCE__';

/** What `/` shows when the editor was not built: no script and no style, so the CSP needs no nonce. */
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OneMessage</title></head>
<body><h1>OneMessage</h1>
<p>The editor has not been built on this server. Run <code>npm run build:editor</code> (or start the server with <code>npm start</code>, which builds it), then reload this page.</p>
<p>The API answers meanwhile: <a href="/api/openapi.json">its OpenAPI document</a>.</p>
</body></html>
`;

/** True when `path` may be a page of the editor: not a reserved prefix, and not a file name (`/x.js` missing is a 404). */
export function isEditorPath(path: string): boolean {
  const segments = path.split('/').filter(Boolean);
  if (segments.length > 0 && NOT_EDITOR_SEGMENTS.has(segments[0]!)) return false;
  return !/\.[a-z0-9]+$/i.test(segments.at(-1) ?? '');
}

/**
 * The editor: its built files, and index.html for every editor path (history fallback), so a
 * page's URL (`/broadcasts/<id>`) reloads to itself. index.html is never cached and carries this
 * response's CSP style nonce (Mantine's few <style> elements need it). Without a build
 * (editor/dist missing: the server was started without `npm start`), `/` says how to build it and
 * every other path is left to the API's 404.
 */
export function editorApp(distDir: string): Router {
  const router = express.Router();
  if (!existsSync(join(distDir, 'index.html'))) {
    router.get('/', (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.type('html').send(NOT_BUILT_PAGE);
    });
    return router;
  }
  const indexHtml = readFileSync(join(distDir, 'index.html'), 'utf8');
  router.use(express.static(distDir, { index: false, maxAge: '1h' }));
  const sendIndex: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !isEditorPath(req.path)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(indexHtml.replaceAll(NONCE_PLACEHOLDER, cspNonceOf(res)));
  };
  router.use(sendIndex);
  return router;
}
