// Opening a flow's URL: its document starts loading now, while the app's code downloads and
// compiles, instead of after (see editor/src/api/flow-prefetch.ts, which takes it over).
// A classic script file rather than inline in index.html: the Content-Security-Policy allows no
// inline script (api/security-headers.ts). It is copied as is into editor/dist (Vite's publicDir).
// The old hash form (/#/flows/<id>) is redirected to the path by the app, so both are read here.
(function () {
  var match = location.pathname.match(/^\/flows\/([0-9a-f-]{36})$/) || location.hash.match(/^#\/flows\/([0-9a-f-]{36})$/);
  // The session is the httpOnly cookie, which a same-origin fetch sends; signed out, the answer is a 401 the app ignores.
  if (match) window.__onemessageFlowPrefetch = { id: match[1], response: fetch('/api/v1/flows/' + match[1], { credentials: 'same-origin' }) };
})();
