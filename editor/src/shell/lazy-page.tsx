import { Center, Loader } from '@mantine/core';
import { Suspense, useEffect, useState, type Attributes, type ComponentType, type ReactNode } from 'react';

/** A page loaded with its own code when first shown; `preload` starts the download sooner (a deep link). */
export type LazyPage<P> = ComponentType<P & Attributes> & { preload(): Promise<unknown> };

/**
 * A page of its own bundle chunk: opening the flow editor does not download, compile and run the
 * code of every other page (charts, inbox, billing…) first. `name` is the page's named export.
 *
 * Not `React.lazy` under a Suspense boundary: once a boundary has shown its fallback, React 19
 * holds back the commit that reveals its content until 300 ms after the fallback appeared
 * (FALLBACK_THROTTLE_MS, for retries). On a deep link the page's chunk usually arrives a few
 * milliseconds after the session check, so a suspending page showed the loader and then waited
 * ~250 ms doing nothing before drawing (a Chromium trace of `npm run bench -- editor`). Here the
 * page is drawn at once when its code is already in, and otherwise a loader is shown and the page
 * replaces it in an ordinary update as soon as the code arrives.
 */
export function lazyPage<M, K extends keyof M>(load: () => Promise<M>, name: K): LazyPage<PropsOf<M[K]>> {
  type Props = PropsOf<M[K]>;
  let loaded: ComponentType<Props> | null = null;
  let loading: Promise<ComponentType<Props>> | null = null;
  const preload = () =>
    (loading ??= load().then(
      (module) => (loaded = module[name] as ComponentType<Props>),
      (error: unknown) => {
        // A failed download may succeed on the next visit of the page.
        loading = null;
        throw error;
      },
    ));

  function LazyPageComponent(props: Props & Attributes) {
    const [state, setState] = useState<{ page: ComponentType<Props> | null; error?: unknown }>(() => ({ page: loaded }));
    useEffect(() => {
      if (state.page || state.error) return;
      let live = true;
      preload().then(
        (page) => live && setState({ page }),
        (error: unknown) => live && setState({ page: null, error }),
      );
      return () => {
        live = false;
      };
    }, [state]);
    // To the router's error element, as a failed React.lazy import would be.
    if (state.error) throw state.error;
    if (!state.page) return <PageLoader />;
    const Page = state.page;
    return <Page {...props} />;
  }
  return Object.assign(LazyPageComponent, { preload });
}

type PropsOf<C> = C extends ComponentType<infer P> ? P : never;

/** Shown while a page's code loads (a few tens of milliseconds, once per page). */
function PageLoader() {
  return (
    <Center h="50vh" aria-busy="true">
      <Loader aria-label="Loading" />
    </Center>
  );
}

/** Around the pages: the loader for anything inside a page that suspends without a boundary of its own. */
export function PageSuspense({ children }: { children: ReactNode }) {
  return <Suspense fallback={<PageLoader />}>{children}</Suspense>;
}
