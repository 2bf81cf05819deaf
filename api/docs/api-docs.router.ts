import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type Router } from 'express';

/** Where the API reference is served: Swagger UI's own files, reading /api/openapi.json. */
export const API_DOCS_PATH = '/api-docs';

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

// Our own page rather than Swagger UI's index.html: that one configures itself with an inline
// script and a petstore URL; the CSP (api/security-headers.ts) runs script files from this server only.
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>OneMessage API reference</title>
  <link rel="icon" type="image/svg+xml" href="/favicon.svg">
  <link rel="stylesheet" href="${API_DOCS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${API_DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${API_DOCS_PATH}/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true, tryItOutEnabled: false });\n`;

/**
 * The API reference: Swagger UI (swagger-ui-dist, served from this server, no CDN) over the
 * OpenAPI document. Public like the document itself: it lists routes, never data.
 */
export function apiDocsRouter(): Router {
  // strict: "/api-docs" and "/api-docs/" are two paths (the page's relative links need the slash).
  const router = express.Router({ strict: true });
  router.get(API_DOCS_PATH, (_req, res) => res.redirect(301, `${API_DOCS_PATH}/`));
  router.get(`${API_DOCS_PATH}/`, (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get(`${API_DOCS_PATH}/init.js`, (_req, res) => {
    res.type('js').send(INIT);
  });
  router.use(API_DOCS_PATH, express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1h' }));
  return router;
}
