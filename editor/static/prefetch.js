// What the page needs first starts loading now, while the app's code downloads and compiles,
// instead of after (editor/src/api/prefetch.ts takes the answers over): whether the browser is
// logged in (every page), and the flow's document when the page opens on a flow's URL.
// A classic script file rather than inline in index.html: the Content-Security-Policy allows no
// inline script (api/security-headers.ts). It is copied as is into editor/dist (Vite's publicDir).
// The old hash form (/#/flows/<id>) is redirected to the path by the app, so both are read here.
(function () {
  // The session is the httpOnly cookie, which a same-origin fetch sends; signed out, the answers are 401s the app reads as such.
  window.__onemessageSessionPrefetch = fetch('/api/v1/auth/me', { credentials: 'same-origin' });
  var match = location.pathname.match(/^\/flows\/([0-9a-f-]{36})$/) || location.hash.match(/^#\/flows\/([0-9a-f-]{36})$/);
  if (match)
    window.__onemessageFlowPrefetch = { id: match[1], response: fetch('/api/v1/flows/' + match[1], { credentials: 'same-origin' }) };
})();
