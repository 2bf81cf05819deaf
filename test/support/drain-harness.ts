import { pino } from 'pino';
import { systemClock } from '../../engine/clock.ts';
import { ConversationDrain } from '../../platform/automation/conversation-drain.ts';
import type { PendingMessage } from '../../platform/automation/conversation-drain.sql.ts';
import type { InboundHandler, InboundOutcome } from '../../platform/automation/inbound-handler.ts';
import { newId } from '../../platform/ids.ts';
import { InboundPipeline } from '../../platform/pipeline/inbound-pipeline.ts';
import { Outbox } from '../../platform/pipeline/outbox.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { QueueFactory } from '../../platform/queues/queue-factory.ts';
import { createTestEnv, type TestEnv } from './test-env.ts';

/** A real ConversationDrain over a handler the test writes, and a sandbox channel to receive messages on. */
export interface DrainHarness {
  env: TestEnv;
  drain: ConversationDrain;
  /** The drain's queues (its inbox worker, when the test starts it, is closed by `close`). */
  queues: QueueFactory;
  /** Accepts an inbound text message from `phone` (its drain is not asked for). */
  say(phone: string, text: string): Promise<{ conversationId: string; messageId: string }>;
}

/**
 * A handler whose workspaces have no flow calling out: every message may share a batch. Each
 * message answers `started` once `handle` resolves (the drain only logs the outcome).
 */
export function fakeHandler(handle: (message: PendingMessage) => Promise<void>): InboundHandler {
  return {
    triggers: async () => ({ callsOut: false }),
    mayCallOut: async () => false,
    handle: async (_em: unknown, message: PendingMessage): Promise<InboundOutcome> => {
      await handle(message);
      return 'started';
    },
  } as unknown as InboundHandler;
}

/** A handler that records the text of each message it handles, after the failures a test scripts for a text. */
export interface ScriptedHandler {
  handler: InboundHandler;
  /** Texts handled, in order. */
  handled: string[];
  /** Messages with this text throw `message` the next `times` times they are handled (Infinity: always). */
  failWith(text: string, times: number, message?: string): void;
}

export function scriptedHandler(): ScriptedHandler {
  const failures = new Map<string, { left: number; message: string }>();
  const handled: string[] = [];
  const handler = fakeHandler(async (message) => {
    const text = message.text ?? '';
    const failure = failures.get(text);
    if (failure && failure.left > 0) {
      failure.left -= 1;
      throw new Error(failure.message);
    }
    handled.push(text);
  });
  return { handler, handled, failWith: (text, times, message = 'a passing failure') => void failures.set(text, { left: times, message }) };
}

export async function startDrainHarness(handler: InboundHandler, workspaceName: string): Promise<DrainHarness> {
  const env = await createTestEnv();
  const logger = pino({ level: 'silent' });
  const pipeline = new InboundPipeline({ orm: env.orm, logger, clock: systemClock });
  const queues = new QueueFactory(env.redis, env.config.redisPrefix);
  const outbox = new Outbox({ orm: env.orm, queues, logger, clock: systemClock });
  const drain = new ConversationDrain({
    orm: env.orm,
    queues,
    logger,
    clock: systemClock,
    handler,
    outbox,
    afterCommit: async () => undefined,
  });
  const workspaceId = newId();
  const channelId = newId();
  await runSql(env.orm.em.fork(), `insert into workspaces (id, name) values (:workspaceId, :workspaceName)`, {
    workspaceId,
    workspaceName,
  });
  await runSql(
    env.orm.em.fork(),
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`,
    { channelId, workspaceId },
  );
  return {
    env,
    drain,
    queues,
    say: (phone, text) => pipeline.accept({ channelId, providerMessageId: newId(), from: { phone }, type: 'text', text }),
  };
}
