// @vitest-environment happy-dom
import { MantineProvider } from '@mantine/core';
import { act, cleanup, render, screen } from '@testing-library/react';
import { Component, Suspense, type ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { lazyPage } from './lazy-page.tsx';

afterEach(cleanup);

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const pageModule = { GreetingPage: ({ name }: { name: string }) => <p>Hello {name}</p> };

class Catch extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    return this.state.error ? <p>Failed: {this.state.error.message}</p> : this.props.children;
  }
}

describe('a page loaded with its own code', () => {
  it('is drawn in the first render when its code is already loaded (a deep link preloads it)', async () => {
    const Page = lazyPage(() => Promise.resolve(pageModule), 'GreetingPage');
    await Page.preload();
    // One synchronous render, no promise given a chance to settle: React.lazy would show its fallback here.
    act(() => {
      render(
        <MantineProvider>
          <Suspense fallback={<p>fallback</p>}>
            <Page name="Ada" />
          </Suspense>
        </MantineProvider>,
      );
    });
    expect(screen.getByText('Hello Ada')).toBeTruthy();
    expect(screen.queryByText('fallback')).toBeNull();
  });

  it('shows a loader while its code downloads, then the page', async () => {
    const module = deferred<typeof pageModule>();
    const Page = lazyPage(() => module.promise, 'GreetingPage');
    render(
      <MantineProvider>
        <Page name="Ada" />
      </MantineProvider>,
    );
    expect(screen.getByLabelText('Loading')).toBeTruthy();
    await act(async () => module.resolve(pageModule));
    expect(screen.getByText('Hello Ada')).toBeTruthy();
    expect(screen.queryByLabelText('Loading')).toBeNull();
  });

  it('hands a failed download to the error boundary, and loads again on the next visit', async () => {
    let attempt = 0;
    const Page = lazyPage(
      () => (++attempt === 1 ? Promise.reject(new Error('chunk missing')) : Promise.resolve(pageModule)),
      'GreetingPage',
    );
    const { unmount } = render(
      <MantineProvider>
        <Catch>
          <Page name="Ada" />
        </Catch>
      </MantineProvider>,
    );
    await act(async () => undefined);
    expect(screen.getByText('Failed: chunk missing')).toBeTruthy();
    unmount();
    render(
      <MantineProvider>
        <Page name="Grace" />
      </MantineProvider>,
    );
    await act(async () => undefined);
    expect(screen.getByText('Hello Grace')).toBeTruthy();
  });
});
