import { Center, Loader } from '@mantine/core';
import { lazy, Suspense, type ComponentType, type LazyExoticComponent, type ReactNode } from 'react';

/** A page loaded with its own code when first shown; `preload` starts the download sooner (a deep link). */
export type LazyPage<P> = LazyExoticComponent<ComponentType<P>> & { preload(): Promise<unknown> };

/**
 * A page of its own bundle chunk: opening the flow editor does not download, compile and run the
 * code of every other page (charts, inbox, billing…) first. `name` is the page's named export.
 */
export function lazyPage<M, K extends keyof M>(load: () => Promise<M>, name: K): LazyPage<PropsOf<M[K]>> {
  let loading: Promise<M> | null = null;
  const preload = () => (loading ??= load());
  const page = lazy(() => preload().then((module) => ({ default: module[name] as ComponentType<PropsOf<M[K]>> })));
  return Object.assign(page, { preload });
}

type PropsOf<C> = C extends ComponentType<infer P> ? P : never;

/** Shown while a page's code loads (a few tens of milliseconds, once per page). */
export function PageSuspense({ children }: { children: ReactNode }) {
  return (
    <Suspense
      fallback={
        <Center h="50vh" aria-busy="true">
          <Loader aria-label="Loading" />
        </Center>
      }
    >
      {children}
    </Suspense>
  );
}
