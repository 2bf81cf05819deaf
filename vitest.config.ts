import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Editor component tests are TSX with React's automatic runtime; each opts into happy-dom itself.
  oxc: { jsx: { runtime: 'automatic' } },
  test: {
    include: ['engine/**/*.test.ts', 'platform/**/*.test.ts', 'api/**/*.test.ts', 'connectors/**/*.test.ts', 'cli/**/*.test.ts', 'test/**/*.test.ts', 'editor/src/**/*.test.{ts,tsx}'],
    // The editor's browser tests need editor/dist; built once here rather than by each file.
    globalSetup: ['test/e2e/support/editor-build.global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file has its own database and Redis prefix, so files may run in parallel.
    pool: 'forks',
    maxWorkers: 2,
  },
});
