/*
 * One worker process of the routing bench (bench/routing.bench.ts): the inbox's assigner as the
 * worker role runs it (assignment passes on kicks, over Redis from any process), and the agents
 * this process plays, who resolve each conversation a few milliseconds after it is assigned to
 * them (they learn of it from the live events, as an agent's inbox does).
 */
import { systemClock } from '../../engine/clock.ts';
import { openOrm } from '../../platform/db/orm.ts';
import { Inbox } from '../../platform/inbox/inbox.ts';
import { createLogger } from '../../platform/logger.ts';
import { Outbox } from '../../platform/pipeline/outbox.ts';
import { QueueFactory } from '../../platform/queues/queue-factory.ts';
import { createRedis } from '../../platform/redis.ts';

const env = process.env;
const workspaceId = env.BENCH_WORKSPACE_ID!;
const agents = new Set(env.BENCH_AGENT_IDS!.split(','));
const thinkMs = Number(env.BENCH_THINK_MS ?? '5');

const logger = createLogger(env.LOG_LEVEL ?? 'warn');
const orm = await openOrm(env.DATABASE_URL!);
const redis = createRedis(env.REDIS_URL!);
const queues = new QueueFactory(redis, env.REDIS_PREFIX!);
const outbox = new Outbox({ orm, queues, logger, clock: systemClock });
// Agents are marked seen once by the bench: a grace period longer than the run keeps them present.
const inbox = new Inbox({ orm, redis, queues, logger, clock: systemClock, outbox, prefix: env.REDIS_PREFIX!, presenceGraceMs: 3_600_000 });
let failures = 0;
await inbox.bus.subscribe(workspaceId, (e) => {
  if (e.type !== 'conversation' || e.toState !== 'assigned' || !e.toAssigneeUserId || !agents.has(e.toAssigneeUserId)) return;
  const agent = e.toAssigneeUserId;
  setTimeout(() => {
    inbox.resolve(workspaceId, e.conversationId, { kind: 'user', userId: agent }).catch((err: unknown) => {
      failures += 1;
      if (failures <= 5) logger.error({ err }, 'bench agent could not resolve');
    });
  }, Math.random() * thinkMs);
});
await inbox.startWorker();
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await inbox.stop();
    await queues.close(2_000);
    redis.disconnect();
    await orm.close();
    process.stdout.write(`stopped failures=${failures}\n`);
    process.exit(0);
  })();
});
