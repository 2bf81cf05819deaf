// @vitest-environment happy-dom
import { vi } from 'vitest';

// Before React is imported: its scheduler and its Suspense throttle keep the setTimeout,
// setImmediate and performance they find when they load, so fake timers installed later would not
// reach them.
vi.hoisted(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance', 'Date'] });
  // As in a browser: outside act(), where React throttles the commits that reveal a Suspense boundary.
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
});

import { MantineProvider } from '@mantine/core';
import { Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { lazyPage } from './lazy-page.tsx';

const pageModule = { GreetingPage: ({ name }: { name: string }) => <p>Hello {name}</p> };

// Regression (npm run bench -- editor, a Chromium trace): with React.lazy under a Suspense boundary,
// the page whose code arrived just after the loader appeared was drawn only 300 ms after the loader
// (React 19 throttles the retries that reveal a boundary's content), ~250 ms of an idle main thread.
describe('when the code arrives just after the loader was drawn', () => {
  it('draws the page at once, not after React’s 300 ms Suspense throttle', async () => {
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    try {
      let arrive!: (module: typeof pageModule) => void;
      const Page = lazyPage(() => new Promise<typeof pageModule>((resolve) => (arrive = resolve)), 'GreetingPage');
      root.render(
        <MantineProvider>
          <Suspense fallback={<p>fallback</p>}>
            <Page name="Ada" />
          </Suspense>
        </MantineProvider>,
      );
      await vi.advanceTimersByTimeAsync(20);
      expect(container.textContent).not.toContain('Hello Ada');
      arrive(pageModule);
      await vi.advanceTimersByTimeAsync(20);
      expect(container.textContent).toContain('Hello Ada');
    } finally {
      root.unmount();
      container.remove();
    }
  });
});
