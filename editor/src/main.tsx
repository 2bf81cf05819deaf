import './zod-jitless.ts';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@mantine/dates/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { AppProviders } from './app-providers.tsx';
import { createQueryClient } from './api/query-client.ts';
import { createRouter } from './router.tsx';
import './styles.css';

/**
 * The nonce the server put in index.html for this page load (api/editor-app.ts): the
 * Content-Security-Policy lets only <style> elements carrying it apply, and Mantine adds a few
 * (theme variables, responsive props).
 */
const styleNonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
const usableNonce = styleNonce && !styleNonce.startsWith('__') ? styleNonce : undefined;
// Modals and drawers lock the page's scroll with react-remove-scroll, which writes its own
// <style> element outside Mantine and takes its nonce from the get-nonce package: that package
// reads the global `__webpack_nonce__` (whatever the bundler), so the nonce is given there too.
// Without it the lock's style is refused by the CSP and the page scrolls behind an open modal
// (test/e2e/modal-scroll-lock.test.ts).
if (usableNonce) (globalThis as { __webpack_nonce__?: string }).__webpack_nonce__ = usableNonce;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppProviders queryClient={createQueryClient()} styleNonce={usableNonce}>
      <RouterProvider router={createRouter()} />
    </AppProviders>
  </StrictMode>,
);
