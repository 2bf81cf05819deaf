import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { dropDatabase } from '../../platform/db/ensure-database.ts';
import { TEST_PG_BASE } from './test-env.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** The migrated database each test file's own database is copied from (see createTestEnv). */
    testDatabaseTemplate: string;
  }
}

/**
 * Names the run's template database, which the first createTestEnv of the run migrates and the
 * others copy (a copy takes a third of what migrating a new database does: 0.2 against 0.6 s on
 * a busy 2-core machine). A run of unit tests alone never makes it, nor needs PostgreSQL.
 * Dropped when the run ends.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const name = `om_test_template_${randomBytes(4).toString('hex')}`;
  project.provide('testDatabaseTemplate', name);
  return async () => {
    try {
      await dropDatabase(`${TEST_PG_BASE}/${name}`);
    } catch (err) {
      // No PostgreSQL to drop it from: then no test made it either.
      if ((err as { code?: string }).code !== 'ECONNREFUSED') throw err;
    }
  };
}
