/*
 * The importing process of the import bench (bench/import.bench.ts, without --worker-role): the
 * contact-imports queue's worker exactly as the worker role runs it (ContactImportJobs), and
 * nothing else, so that its memory is the import's own.
 */
import { systemClock } from '../../engine/clock.ts';
import { ContactImportJobs } from '../../platform/contacts/contact-import-jobs.ts';
import { openOrm } from '../../platform/db/orm.ts';
import { createLogger } from '../../platform/logger.ts';
import { QueueFactory } from '../../platform/queues/queue-factory.ts';
import { createRedis } from '../../platform/redis.ts';

const env = process.env;
const logger = createLogger(env.LOG_LEVEL ?? 'warn');
const orm = await openOrm(env.DATABASE_URL!);
const redis = createRedis(env.REDIS_URL!);
const queues = new QueueFactory(redis, env.REDIS_PREFIX!);
const jobs = new ContactImportJobs({
  orm,
  queues,
  config: { dataDir: env.ONEMESSAGE_DATA_DIR ?? '.onemessage' },
  clock: systemClock,
  logger,
});
jobs.start();

process.once('SIGTERM', () => {
  void (async () => {
    await jobs.stop();
    await queues.close(2_000);
    redis.disconnect();
    await orm.close();
    process.exit(0);
  })();
});
