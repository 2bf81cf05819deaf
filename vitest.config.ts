import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['engine/**/*.test.ts', 'platform/**/*.test.ts', 'api/**/*.test.ts', 'connectors/**/*.test.ts', 'cli/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file has its own database and Redis prefix, so files may run in parallel.
    pool: 'forks',
    maxWorkers: 2,
  },
});
