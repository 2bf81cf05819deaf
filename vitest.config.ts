import { defineConfig } from 'vitest/config';

/**
 * Files that assert how fast the product is while it is being hurt (timers under SIGKILLs, a
 * session lease taken over within its TTL, another workspace served while a costly regex runs).
 * They run after all the others, one at a time: on two cores, sharing the CPU with two other
 * test files measures the other files, not the product.
 */
const TIMED = ['test/fault-processes.test.ts', 'test/whatsapp-failover.test.ts', 'test/regex-trigger-isolation.test.ts'];

export default defineConfig({
  // Editor component tests are TSX with React's automatic runtime; each opts into happy-dom itself.
  oxc: { jsx: { runtime: 'automatic' } },
  test: {
    // The editor's browser tests need editor/dist; built once here rather than by each file.
    // The name of the migrated database every test file's own database is copied from (test/support/test-env.ts).
    globalSetup: ['test/e2e/support/editor-build.global-setup.ts', 'test/support/database-template.global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file has its own database and Redis prefix, so files may run in parallel.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: [
            'engine/**/*.test.ts',
            'platform/**/*.test.ts',
            'api/**/*.test.ts',
            'connectors/**/*.test.ts',
            'cli/**/*.test.ts',
            'test/**/*.test.ts',
            'editor/src/**/*.test.{ts,tsx}',
          ],
          exclude: ['**/node_modules/**', ...TIMED],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
