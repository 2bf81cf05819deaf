/*
 * One worker process of the routing bench (bench/routing.bench.ts): the inbox's assigner as the
 * worker role runs it (assignment passes on kicks, over Redis from any process), and the agents
 * this process plays, who resolve each conversation a few milliseconds after it is assigned to
 * them (they learn of it from the live events, as an agent's inbox does).
 */
import { systemClock } from '../../engine/clock.ts';
import { openOrm } from '../../platform/db/orm.ts';
import { Inbox } from '../../platform/inbox/inbox.ts';
import type { RefillOutcome } from '../../platform/inbox/resolve-and-refill.sql.ts';
import { createLogger } from '../../platform/logger.ts';
import { Outbox } from '../../platform/pipeline/outbox.ts';
import { testSql } from '../../test/support/test-sql.ts';
import { QueueFactory } from '../../platform/queues/queue-factory.ts';
import { createRedis } from '../../platform/redis.ts';

/**
 * How often the agents reload their assigned conversations, as a real inbox reloads its lists
 * when its stream reconnects: pub/sub is fire-and-forget, and an event lost (a reconnect under
 * load) would otherwise leave its conversation assigned for the rest of the run. A conversation
 * found assigned and unheard of by two reloads in a row is resolved (one reload apart would also
 * catch events merely on their way).
 */
const RELOAD_EVERY_MS = 2_000;

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
let reloaded = 0;
const outcomes = new Map<RefillOutcome, number>();
/** Conversations an agent of this process has heard of (resolving or resolved). */
const heard = new Set<string>();

function resolveSoon(conversationId: string, agent: string): void {
  if (heard.has(conversationId)) return;
  heard.add(conversationId);
  setTimeout(() => {
    inbox.resolve(workspaceId, conversationId, { kind: 'user', userId: agent }).then(
      (outcome) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1),
      (err: unknown) => {
        failures += 1;
        if (failures <= 5) logger.error({ err }, 'bench agent could not resolve');
      },
    );
  }, Math.random() * thinkMs);
}

await inbox.bus.subscribe(workspaceId, (e) => {
  if (e.type !== 'conversation' || e.toState !== 'assigned' || !e.toAssigneeUserId || !agents.has(e.toAssigneeUserId)) return;
  resolveSoon(e.conversationId, e.toAssigneeUserId);
});

/** Assigned and unheard of at the last reload. */
let unheard = new Set<string>();
const reload = setInterval(() => {
  void testSql<{ id: string; userId: string }>(
    orm.em.fork(),
    `select id, assignee_user_id as "userId" from conversations where workspace_id = :workspaceId and state = 'assigned' and assignee_user_id = any(cast(:agents as uuid[]))`,
    { workspaceId, agents: [...agents] },
  ).then(
    ({ rows }) => {
      const now = new Set<string>();
      for (const r of rows) {
        if (heard.has(r.id)) continue;
        now.add(r.id);
        if (!unheard.has(r.id)) continue;
        reloaded += 1;
        resolveSoon(r.id, r.userId);
      }
      unheard = now;
    },
    (err: unknown) => logger.warn({ err }, 'bench agents could not reload their conversations'),
  );
}, RELOAD_EVERY_MS);

await inbox.startWorker();
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    clearInterval(reload);
    await inbox.stop();
    await queues.close(2_000);
    redis.disconnect();
    await orm.close();
    process.stdout.write(`stopped ${JSON.stringify({ failures, reloaded, outcomes: Object.fromEntries(outcomes) })}\n`);
    process.exit(0);
  })();
});
