import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { AppProviders } from '../app-providers.tsx';

/** happy-dom has no matchMedia, which Mantine's color scheme and media hooks read. */
function ensureMatchMedia(): void {
  if (typeof window.matchMedia === 'function') return;
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      addListener: () => undefined,
      removeListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

/** happy-dom has no `document.fonts`, which Mantine's autosizing Textarea listens to. */
function ensureDocumentFonts(): void {
  if ('fonts' in document && document.fonts) return;
  Object.defineProperty(document, 'fonts', {
    configurable: true,
    value: { addEventListener: () => undefined, removeEventListener: () => undefined, ready: Promise.resolve() },
  });
}

/** The part of happy-dom's window API used here (`window.happyDOM`, absent from the DOM's types). */
interface HappyDomWindow {
  happyDOM?: { settings: { fetch: { interceptor: { beforeAsyncRequest: (context: { request: Request }) => Promise<void> } | null } } };
}

/**
 * A request no test answered fails at once, like a request while offline. Otherwise happy-dom
 * sends it to its page's origin, http://localhost:3000, where a developer's own server may run.
 */
function refuseUnansweredRequests(): void {
  const api = (window as unknown as HappyDomWindow).happyDOM;
  if (!api) return;
  api.settings.fetch.interceptor = {
    beforeAsyncRequest: ({ request }) => Promise.reject(new TypeError(`no server in component tests: ${request.method} ${request.url}`)),
  };
}

/**
 * Renders a page as the app does (Mantine in its test mode, a fresh query cache with no retry,
 * the session, a router at `path`), for component tests under happy-dom.
 */
export function renderInApp(ui: ReactNode, { path = '/' }: { path?: string } = {}) {
  ensureMatchMedia();
  ensureDocumentFonts();
  refuseUnansweredRequests();
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const router = createMemoryRouter([{ path: '*', element: ui }], { initialEntries: [path] });
  return {
    ...render(
      <AppProviders queryClient={queryClient} env="test">
        <RouterProvider router={router} />
      </AppProviders>,
    ),
    router,
    queryClient,
  };
}
