import { loadConfig, type Config } from '../platform/config.ts';
import { redactUrl } from '../engine/redact-url.ts';
import { openOrm, type Orm } from '../platform/db/orm.ts';
import { checkPostgres } from '../platform/dependencies.ts';
import { createLogger } from '../platform/logger.ts';
import { createDatabaseIfMissing } from '../platform/runtime/prepare-database.ts';

/**
 * For commands that need the database only (migrate, seed-demo): reads the config once, checks
 * that Postgres answers, creates the database when missing, opens a small ORM pool for `fn`.
 */
export async function withDatabase(fn: (orm: Orm, config: Config) => Promise<void>): Promise<void> {
  const warnings: string[] = [];
  const config = loadConfig(process.env, (msg) => warnings.push(msg));
  const logger = createLogger(config.logLevel);
  for (const w of warnings) logger.warn(w);
  await checkPostgres(config.databaseUrl);
  await createDatabaseIfMissing(config.databaseUrl, logger);
  const orm = await openOrm(config.databaseUrl, { poolMax: 2 });
  try {
    console.log(`database: ${redactUrl(config.databaseUrl)}`);
    await fn(orm, config);
  } finally {
    await orm.close();
  }
}
