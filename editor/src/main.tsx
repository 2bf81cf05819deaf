import './zod-jitless.ts';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@mantine/charts/styles.css';
import '@mantine/dates/styles.css';
import '@xyflow/react/dist/style.css';
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

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppProviders queryClient={createQueryClient()} styleNonce={styleNonce && !styleNonce.startsWith('__') ? styleNonce : undefined}>
      <RouterProvider router={createRouter()} />
    </AppProviders>
  </StrictMode>,
);
